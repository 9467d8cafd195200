"""Guessing a level from free text, for lines whose format carries none.

The first level-looking token wins, because loggers print the level near the start and later words
("retrying after ERROR") are part of the message. Only the head of the text is scanned so a long
line cannot cost more than a short one.
"""

from __future__ import annotations

import re

from src.domain.severity import Severity, normalise_severity

_HEAD = 2048

# glog / klog: `E1125 12:34:56.789012 1234 file.go:42] msg` — the letter is the level.
_GLOG = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d\d")
_GLOG_LEVELS = {"I": Severity.INFO, "W": Severity.WARN, "E": Severity.ERROR, "F": Severity.FATAL}

_LEVEL_WORDS = "TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|PANIC|EMERG|ALERT"
_CANDIDATES = re.compile(
    # level=warn, severity: "error", "level":"info"
    r"(?i:\b(?:level|lvl|severity|loglevel)[\"']?\s*[=:]\s*[\"']?([a-z]+))"
    # [error], <warn>, (DEBUG)
    r"|[\[<(]\s*([A-Za-z]+)\s*[\]>)]"
    # bare upper-case level words; lower-case ones are too common in prose to count
    rf"|\b({_LEVEL_WORDS})\b"
    # `gcc: error: …`, `Warning: …`
    r"|(?i:\b(error|warning|warn|fatal|critical|panic):)"
)
_TRACE_MARKERS = ("Traceback (most recent call last):", "\n\tat ", "\n    at ")


def infer_severity(text: str) -> Severity:
    """The level a human would read off the line; INFO when nothing says otherwise."""
    head = text[:_HEAD]
    glog = _GLOG.match(head)
    if glog is not None:
        return _GLOG_LEVELS[glog.group(1)]
    for match in _CANDIDATES.finditer(head):
        word = match.group(match.lastindex or 0)
        found = level_or_none(word)
        if found is not None:
            return found
    # A stack trace without a level word is still an error someone wants to see.
    if any(marker in head for marker in _TRACE_MARKERS):
        return Severity.ERROR
    return Severity.INFO


def level_or_none(value: object) -> Severity | None:
    """`normalise_severity` without the exception, plus Bunyan/pino's 10…60 numbers.

    10 and 20 are also OpenTelemetry numbers (INFO2, ERROR4); in a JSON `level` field they are far
    more often pino's trace/debug, and producers of OpenTelemetry numbers do not skip to multiples of 10.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value in _BUNYAN:
        return _BUNYAN[value]
    try:
        return normalise_severity(value)
    except ValueError:
        return None


_BUNYAN = {
    10: Severity.TRACE,
    20: Severity.DEBUG,
    30: Severity.INFO,
    40: Severity.WARN,
    50: Severity.ERROR,
    60: Severity.FATAL,
}
