"""Strip the header a raw log line carries before its message: `<time> … <LEVEL> [thread] component: `.

Templates describe messages; a header in front (time, host, pid, level, logger) adds words that
vary with the deployment, not with the event. Most line formats put the severity last in the
header, so the header ends at the first level word — but only when every word before it looks
like a header word and one holds a digit (a time, a pid), so that a message that merely says
"error" (`Request 42 failed with error timeout`) is left alone.
Bracketed fields, a dash and one `logger:` word right after the level belong to the header too.
"""

from __future__ import annotations

import re

_LEVELS = r"trace|debug|info|notice|warn|warning|error|err|fatal|critical|crit|alert|emerg|severe|fine"
_MONTHS_DAYS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
# What a header is made of: words with a digit (times, dates, pids, hosts like `web-1`), bracketed
# fields, a dash, month and day names, upper-case codes (`RAS KERNEL`) and `name:` words.
_HEADER_WORD = rf"(?:\S*\d\S*|\[\S*|\S*\]|-|[A-Z][A-Z_]{{1,9}}|(?i:{_MONTHS_DAYS})|\S+:)"
# Up to ten header words, then the level (bare, bracketed or with a colon).
_HEADER = re.compile(rf"^((?:{_HEADER_WORD}\s+){{1,10}}?)[\[<(]?(?i:{_LEVELS})[\]>):]?(?=\s|$)")
# After the level: `[thread]` fields, a lone dash, and one `logger:` word (no spaces, ends with `:`).
_TAIL = re.compile(r"^(?:\s+(?:\[[^\]]*\](?:[^\s\]]*\])?|-))*(?:\s+[^\s\[]+:(?=\s))?\s*")


def strip_header(line: str) -> str:
    """The message part of `line`, or `line` itself when no header is recognised."""
    head = _HEADER.match(line)
    if head is None or not any(char.isdigit() for char in head.group(1)):
        return line
    rest = line[head.end() :]
    tail = _TAIL.match(rest)
    message = rest[tail.end() :] if tail is not None else rest.lstrip()
    return message or line
