"""Masking: the parts of a log line that are values, not words, become `<*>` before mining.

Values: numbers (with units: `12ms`, `3.5GB`), ids with digits, hex, UUIDs, IPv4/IPv6 with ports,
host:port, URLs, paths, `key=value` values, quoted strings, comma lists and repeated values.
The word rules form one alternation whose order matters: the specific shapes (URLs, UUIDs,
addresses with a port) come first, so the looser "word with a digit" rule cannot cut them in half.
Every rule is general — none names a system — because the miner is judged on logs nobody tuned it to.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

# Characters that end a "word" for the looser rules: whitespace, brackets, quotes, separators.
_STOP = r"\s,;()\[\]{}<>\"'=|"
# A dot belongs to a word (`v1.2`, `a.b.c`) but a run of dots is filler (`instruction......0`).
_WORD = rf"(?:[^{_STOP}.]|\.(?!\.))"
# A value never ends in `.` or `:`: those end the sentence or introduce what follows.
_END = r"(?<![.:])"

_RULES: tuple[tuple[str, str], ...] = (
    # scheme://host/path?query — everything up to whitespace or a closing bracket/quote.
    ("url", r"(?<![\w+.\-])[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>()\[\]{}]+"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    # Bracketed IPv6 with a port, then bare IPv6 (at least two colons and a hex group on each side).
    ("ipv6", r"\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::\d+)?"),
    ("ipv6", r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}(?::?[0-9a-fA-F]{1,4}|:)(?:%\w+)?(?![\w:])"),
    ("ipv6", r"(?<![\w:])::(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{1,4}(?![\w:])"),
    ("ipv4", r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])"),
    # A host name with a port (`db-1.internal:5432`): the whole address is one value.
    ("hostport", r"(?<![\w.\-/])[a-zA-Z][\w\-]*(?:\.[\w\-]+)+:\d{1,5}\b"),
    ("hex", r"\b0[xX][0-9a-fA-F]+\b"),
    # Unix paths (`/var/lib/x`, `/healthz`) and Windows paths: both carry names, never meaning.
    ("path", rf"(?<![\w.:/])(?:~|\.{{1,2}})?(?:/[^{_STOP}/]+){{2,}}/?{_END}"),
    ("path", rf"(?<![^{_STOP}])/[a-zA-Z][^{_STOP}/]*{_END}"),
    ("path", rf"\b[a-zA-Z]:\\[^{_STOP}]*{_END}"),
    # A word with a digit anywhere is a value: numbers, ids, hex digests, versions, sizes with a
    # unit (`12ms`, `3.5GB`), host names like `node-17`; a leading `/` stays (`/10.0.0.1:80`).
    # The few constant words with a digit (`ipv4`, `utf8`) cost nothing: grouping is unchanged.
    ("number", rf"(?:(?<![^{_STOP}])|(?<=\.\.))(?!/){_WORD}*\d{_WORD}*{_END}"),
)

_MASK = re.compile("|".join(f"(?:{pattern})" for _, pattern in _RULES))

# `key=value` pairs: the value is data whatever it looks like (`user=alice`, `msg="…"`).
# The key starts where a word starts (not after each dot of `a.b.c`): one scan per word, not per dot.
_KEY_VALUE = re.compile(r"((?<![\w.\-])[\w.\-]+=)(?!<\*>)(\"[^\"]*\"|'[^']*'|[^\s,;)\]}\"']+)")
# `blk_-4262`, `task_1445_0020_m_000003`: an id behind a word prefix keeps the prefix, which names
# the kind of id and so belongs to the template.
_PREFIXED_ID = re.compile(rf"(?<![^{_STOP}])([A-Za-z]{{2,}}_)-?{_WORD}*\d{_WORD}*{_END}")
# Quoted strings: the quoted text is data (`file "report final.pdf" not found`).
_QUOTED = re.compile(r"\"[^\"]*\"|(?<!\w)'[^'\n]*'(?!\w)")
# A comma-separated list of words (`tenants alice, bob, carol`, `acls to: yarn,curi`) is one
# value of variable length, whatever its words.
_WORD_LIST = re.compile(r"(?<![^\s(\[{:])[\w.@/\-]+(?:, ?[\w.@/\-]+)+(?![^\s)\]}])")
# Variable-length lists collapse to one wildcard: `<*>, <*>, <*>` and `<*> <*>` alike.
_REPEATS = re.compile(r"<\*>(?:[\s,;:/@#_.\-+]*<\*>)+")


class Masker:
    """Replaces every value in a line by `<*>`, with a memo of the words that need no masking.

    The word rules never span whitespace (quoted strings, `key=value` pairs and lists are handled
    first, on the whole line), so the line is masked word by word, and a word seen before unchanged
    (most words of any log) costs a set lookup instead of a regex scan. The memo only says "this
    word is plain", so one masker can serve every tenant; it is bounded and dropped when full.
    """

    def __init__(self, *, memo_size: int = 50_000) -> None:
        self._plain: set[str] = set()
        self._memo_size = memo_size

    def mask(self, text: str) -> str:
        if "=" in text:
            text = _KEY_VALUE.sub(r"\1<*>", text)
        if '"' in text or "'" in text:
            text = _QUOTED.sub(WILDCARD, text)
        if "," in text:
            text = _WORD_LIST.sub(WILDCARD, text)
        plain = self._plain
        words = text.split()
        for i, word in enumerate(words):
            if word in plain:
                continue
            masked = _PREFIXED_ID.sub(r"\1<*>", word) if "_" in word else word
            masked = _MASK.sub(WILDCARD, masked)
            if masked is word or masked == word:
                if len(plain) >= self._memo_size:
                    plain.clear()
                plain.add(word)
            else:
                words[i] = masked
        text = " ".join(words)
        if "<*>" in text:
            text = _REPEATS.sub(WILDCARD, text)
        return text


def mask(text: str) -> str:
    """Mask one line without a memo (tests, one-off use)."""
    return Masker(memo_size=0).mask(text)
