"""Tenant-defined parsers: a regular expression with named groups.

Patterns come from tenants, so they run on RE2 (google-re2): matching is linear in the line's length
whatever the pattern, so `(a+)+$` cannot stall ingest. The price is that RE2 has no backreferences,
lookaround, atomic groups or possessive quantifiers; such patterns are refused with a message saying so.

Groups named like a draft field (timestamp, severity, service, host, user_id, action, trace_id,
span_id, message) fill that field; every other named group becomes an attribute. Without a `message`
group the whole line is the message. The pattern is searched for (not anchored): use `^…$` to anchor.
Syntax is RE2's (github.com/google/re2/wiki/Syntax): `(?P<name>…)` groups; word, digit and
word-boundary classes are ASCII-only.
"""

from __future__ import annotations

import re
from typing import Any

import re2

from src.domain.errors import InvalidInput
from src.domain.logs import LogDraft
from src.domain.parsing.base import Parser
from src.domain.parsing.severity_inference import infer_severity, level_or_none
from src.domain.parsing.timestamps import parse_timestamp

MAX_PATTERN_LENGTH = 2000
_TEXT_FIELDS = ("service", "host", "user_id", "action", "trace_id", "span_id")
_RESERVED = frozenset({"parser", "parse_error"})  # attributes the platform sets itself
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# How RE2 reports the constructs it leaves out by design, mapped to an explanation a tenant can act on.
_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…))"),
    (re.compile(r"\\[1-9]|\\k<|\(\?P="), "backreferences (\\1, \\k<name>, (?P=name))"),
    (re.compile(r"\(\?>|[+*?}][+]"), "atomic groups and possessive quantifiers ((?>…), a++)"),
)


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused tenant pattern to stderr
    return options


def _invalid(message: str, pattern: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code="invalid_pattern", details={"field": "pattern", **details})


def _compile(pattern: str) -> Any:
    if not pattern:
        raise _invalid("the pattern is empty", pattern)
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise _invalid(
            f"the pattern is longer than {MAX_PATTERN_LENGTH} characters", pattern, max_length=MAX_PATTERN_LENGTH
        )
    try:
        # Compiled (and later matched) as UTF-8 bytes: the wrapper's str path maps every byte offset
        # back to a character offset in Python, which made matches four times slower.
        compiled = re2.compile(pattern.encode("utf-8", "surrogatepass"), _options())
    except re2.error as e:
        reason = e.args[0].decode(errors="replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        for construct, what in _UNSUPPORTED:
            if construct.search(pattern):
                raise _invalid(
                    f"the pattern uses {what}, which RE2 does not support: RE2 guarantees linear-time "
                    "matching and leaves out every construct that needs backtracking",
                    pattern,
                    reason=reason,
                ) from e
        raise _invalid(f"the pattern does not compile: {reason}", pattern, reason=reason) from e
    names = [name.decode() for name in compiled.groupindex]
    if not names:
        raise _invalid("the pattern needs at least one named group, e.g. (?P<message>.*)", pattern)
    for name in names:
        if not _IDENTIFIER.fullmatch(name):
            raise _invalid(
                f"group name {name!r} is not an identifier (ASCII letters, digits and _, not starting with a digit)",
                pattern,
                group=name,
            )
        if name in _RESERVED:
            raise _invalid(f"group name {name!r} is reserved", pattern, group=name)
    return compiled


class RegexParser(Parser):
    """Raises InvalidInput(code="invalid_pattern") for a pattern it cannot run."""

    def __init__(self, name: str, pattern: str) -> None:
        self.name = name
        self.pattern = pattern
        self._regex = _compile(pattern)
        self._groups = tuple((name.decode(), index) for name, index in self._regex.groupindex.items())

    def parse(self, text: str) -> LogDraft | None:
        data = text.encode("utf-8", "surrogatepass")
        match = self._regex.search(data)
        if match is None:
            return None
        groups: dict[str, Any] = {}
        for name, index in self._groups:
            start, end = match.span(index)
            if start >= 0:  # RE2 matches whole UTF-8 sequences, so a slice always decodes
                groups[name] = data[start:end].decode("utf-8", "surrogatepass")
        message = groups.pop("message", None)
        if not message or not message.strip():
            message = text
        fields: dict[str, str] = {}
        for field in _TEXT_FIELDS:
            if value := groups.pop(field, None):  # an empty capture is no value
                fields[field] = value
        timestamp = None
        if (stamp := groups.pop("timestamp", None)) is not None:
            timestamp = parse_timestamp(stamp)
            if timestamp is None:
                groups["timestamp"] = stamp  # unparsed, but not thrown away
        severity = None
        if (level := groups.pop("severity", None)) is not None:
            severity = level_or_none(level.strip())
            if severity is None:
                groups["severity"] = level
        groups["parser"] = self.name
        return LogDraft(
            message=message,
            timestamp=timestamp,
            severity=severity if severity is not None else infer_severity(message),
            attributes=groups,
            **fields,
        )


def compile_custom(name: str, pattern: str) -> RegexParser:
    """A tenant's parser, or InvalidInput(code="invalid_pattern") explaining what is wrong."""
    return RegexParser(name, pattern)
