"""Strip the header a raw log line carries before its message: `<time> … <LEVEL> [thread] component: `.

Templates describe messages; a header in front (time, host, pid, level, logger) adds words that
vary with the deployment, not with the event. A header is recognised by one of two anchors:

- a **level word**: most line formats put the severity last in the header, so the header ends at
  the first level word — but only when every word before it looks like a header word and one holds
  a digit (a time, a pid), so that a message that merely says "error" (`Request 42 failed with
  error timeout`) is left alone. Bracketed fields, a dash, and one `logger:` word, one
  `dotted.Logger -` or one word padded to a column (`Info    CBS    Loaded …`) right after it go too;
- a **time** (`10:00:01`, a date with a four-digit year, epoch seconds or milliseconds between
  2001 and 2100) for formats without a level: syslog's `Dec  2 10:00:01 host prog[pid]: …`,
  `<ISO time> <host> <pid> …`, `<seq> <host> <component> <epoch> <flag> …`. The words before the
  time must be header fields (a digit among them; two plain lower-case words are allowed after
  two fields: `node temperature`); after it come at most two fields (host, pid, component, flag —
  words with a digit, `[…]`, dotted names) up to the first plain word, or syslog's tag.

What is not sure is left alone: a line starting with an ordinary word (`Backup finished at
2026-01-01 10:00:00`), a lone date or number (`2026-01-01 at noon …`, `1234567890 rows deleted`),
a plain word and a field right after the time (`gateway 311 …` is a host and a pid, `processed
311 rows` a message: the line is kept whole, its time then masked like any value), and a header
with nothing after it. Stripping only changes what is mined, never the stored event.
"""

from __future__ import annotations

import re

_LEVELS = r"trace|debug|info|notice|warn|warning|error|err|fatal|critical|crit|alert|emerg|severe|fine"
_MONTHS_DAYS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
# What a header is made of: words with a digit (times, dates, pids, hosts like `web-1`), bracketed
# fields, a dash, month and day names, upper-case codes (`RAS KERNEL`) and `name:` words. The digit
# word is `[^\s\d]*\d\S*` (its first digit), not `\S*\d\S*`: that matched `134681` six ways, and
# a failing match tried them all, word after word (16 µs for one HPC line).
_HEADER_WORD = rf"(?:[^\s\d]*\d\S*|\[\S*|\S*\]|-|[A-Z][A-Z_]{{1,9}}|(?i:{_MONTHS_DAYS})|\S+:)"
# Up to ten header words, then the level (bare, bracketed or with a colon).
_HEADER = re.compile(rf"^((?:{_HEADER_WORD}\s+){{1,10}}?)[\[<(]?(?i:{_LEVELS})[\]>):]?(?=\s|$)")
# After the level: `[thread]` fields and lone dashes, then one logger: a `logger:` word, a
# `dotted.Logger -` (log4j's `%c - %m`) or a word padded to a column (`CBS    Loaded …`).
_TAIL = re.compile(
    r"^(?:\s+(?:\[[^\]]*\](?:[^\s\]]*\])?|-))*"
    r"(?:\s+[^\s\[]+:(?=\s)|\s+[^\s\[]*[.$][^\s\[]*\w\s+-(?=\s)|\s+[^\s\[]+(?=\s\s))?\s*"
)

# Time-less headers: the anchor is a time inside a run of header fields.
_MAX_WORDS = 12
# Fields after the time: a host and a pid, a host and a component; more is message
# (`<time> <host> <pid> 10.0.0.1 - alice [...] "GET …"` keeps its client address).
_MAX_AFTER = 2
# A time of day (not part of a longer `a:b:c:d` chain such as a MAC or IPv6 address) or a date
# with a four-digit year; both may sit inside a longer word (`2026-12-02T10:00:01Z`, `[10:00:01]`).
_TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}:\d{2}(?![\d:])|(?<!\d)(?:19|20)\d\d([-/.])\d{1,2}\1\d{1,2}(?!\d)")
# A quick look for something like a time at the start of a line before splitting it into words
# (a superset of `_TIME` and `_EPOCH` below; one alternation after a digit keeps it fast).
_ANY_TIME = re.compile(r"\d(?::\d\d:\d|[-/.]\d\d?[-/.]\d|\d{9})")
_HEAD_CHARS = 240
_CLOCK = re.compile(r"\d:\d\d:\d\d")
# Epoch seconds (10 digits) or milliseconds (13), optionally with a fraction.
_EPOCH = re.compile(r"[\[(]?(\d{10}|\d{13})(?:[.,]\d{1,9})?[\])]?,?")
_EPOCH_SECONDS = (978307200, 4102444800)  # 2001-01-01 .. 2100-01-01: not a count or an id
# A header field: a word with a digit, a bracketed field, a dash, an upper-case code, a month or
# day name, a `name:` tag, or an identifier joined by dots or underscores (`unix.hw`, `state_change`).
_FIELD = re.compile(
    rf"[^\s\d]*\d\S*|[\[(<]\S*|[^\s(\[<]*[\])>]:?|-|[A-Z][A-Z_]{{1,9}}|(?i:{_MONTHS_DAYS}),?|[^\s:]+:"
    r"|[A-Za-z][\w$-]*[._][\w.$-]*\w"
)
# After the time, fields are hosts, pids, flags, `[…]` and component names; an upper-case word
# (`API key …`, `POST /login`) or a `name:` there starts the message.
_LATER_FIELD = re.compile(r"[^\s\d]*\d\S*|[\[(<]\S*|[^\s(\[<]*[\])>]|-|[A-Za-z][\w$-]*[._][\w.$-]*\w")
# The first word of a line that may carry a header (checked first: most messages start with a word).
_START = re.compile(rf"(?:{_FIELD.pattern})(?:\s|$)")
_WORD = re.compile(r"\S+")
# A syslog tag: a program name with its pid, or a lower-case one (`kernel:`); a capitalised
# `Name:` after the time is the start of the message (`NIFF: node …`, `Error: …`).
_PID_TAG = re.compile(r"[^\s:\[]+\[\d+\]:")
_TAG = re.compile(rf"{_PID_TAG.pattern}|[a-z][\w./-]*:")
_NAME = re.compile(r"[a-z][a-z_-]*")
_LEVEL_WORD = re.compile(rf"[\[<(]?(?i:{_LEVELS})[\]>):]?")


def _is_time(word: str) -> bool:
    if _TIME.search(word) is not None:
        return True
    epoch = _EPOCH.fullmatch(word)
    if epoch is None:
        return False
    seconds = int(epoch.group(1)[:10])
    return _EPOCH_SECONDS[0] <= seconds < _EPOCH_SECONDS[1]


def _next_word(line: str, pos: int) -> str:
    word = _WORD.search(line, pos)
    return "" if word is None else word.group()


def _ambiguous_host(word: str, following: str) -> bool:
    """Whether `word`, right after the time, may be a plain host name (`gateway 311 …`, `gateway
    app.db …`) as well as the message's first word (`processed 311 rows`). Neither reading is safe:
    the line is kept whole, since a message starting with a host name would split its pattern by
    host, while a time in front is masked like any other value."""
    return _LATER_FIELD.fullmatch(following) is not None and not word.endswith(":")


def _after_level(line: str, end: int, bare: str | None = None) -> str:
    rest = line[end:]
    tail = _TAIL.match(rest)
    message = rest[tail.end() :] if tail is not None else rest.lstrip()
    return message or bare or line


def _time_header(line: str) -> str:
    if _START.match(line) is None or _ANY_TIME.search(line, 0, _HEAD_CHARS) is None:
        return line  # the common case of a message: it starts with a plain word, or has no time
    timed = digits = False
    fields = words = after = 0  # header fields and plain words before the time, fields after it
    last = host = None
    for index, word in enumerate(_WORD.finditer(line)):
        text = word.group()
        if index == _MAX_WORDS:
            return line
        if _is_time(text):
            digits = digits or not index or any(char.isdigit() for char in line[: word.start()])
            timed, after = True, 0
        elif not timed:
            # Before the time: header fields (a level word may name a state there too), and up to
            # two lower-case words (a component, a state: `node temperature`) after two fields.
            if fields >= 2 and words < 2 and _NAME.fullmatch(text) is not None:
                words += 1
            elif _FIELD.fullmatch(text) is not None or _LEVEL_WORD.fullmatch(text) is not None:
                fields += 1
            else:
                return line
        elif not digits:
            return line  # no digit before the time: `user_id 1700000000 logged in` is a message
        elif _LEVEL_WORD.fullmatch(text):
            return _after_level(line, word.end(), line[word.start() :])
        elif _PID_TAG.fullmatch(text) or (after == 1 and host is None and _TAG.fullmatch(text)):
            # Syslog's tag ends the header: `prog[pid]:`, or `prog:` right after the host.
            return line[word.end() :].lstrip() or line
        elif host is None and not after and _PID_TAG.fullmatch(_next_word(line, word.end())):
            host = word  # syslog's `<time> <host> <prog>[<pid>]:`, where the host may be any name
            continue
        elif text == "-":
            continue  # a separator (`<time> - app.module - INFO - …`), not a field
        elif after == _MAX_AFTER or text.endswith(":") or _LATER_FIELD.fullmatch(text) is None:
            # The message starts here. After plain words, the time must have had a field after it.
            if index == 1 and _CLOCK.search(line, 0, word.start()) is None:
                return line  # a lone date or number is not a header: `2026-01-01 at noon the job failed`
            if not after and _ambiguous_host(text, _next_word(line, word.end())):
                return line
            return line[word.start() :] if after or not words else line
        else:
            after += 1
        last = word
    # Fields up to the end of the line: the last one is the message (a header is never all of it),
    # unless it is a bare number (more likely a pid than a message).
    if last is None or not timed or not after or (words and after < 2) or last.group().isdigit():
        return line
    return line[last.start() :]


def strip_header(line: str) -> str:
    """The message part of `line`, or `line` itself when no header is recognised."""
    head = _HEADER.match(line)
    if head is not None and any(char.isdigit() for char in head.group(1)):
        return _after_level(line, head.end())
    return _time_header(line)
