"""Joining physical lines into events, so a stack trace is one event and not forty.

A line continues the event before it when it is
- indented (Java `\tat …`, `\t... 12 more`, `\tSuppressed: …`, Python `  File …` and code lines, and
  generally any indented continuation);
- a Java `Caused by: …` / `Suppressed: …` line;
- the final `SomeError: message` line of a Python traceback;
- a traceback header (`Traceback (most recent call last):`, or a Java `pkg.SomeException: msg` line)
  right after a single-line event: `logger.exception(…)` and `log.error(msg, e)` print the message
  line first and the trace below it, and both belong together;
- in a chained Python traceback, the blank lines and the `During handling of the above exception…`
  / `The above exception was the direct cause…` lines that link one traceback to the next.

Every input line lands in exactly one output event, blank lines included (as events of their own),
so callers can count lines to report line numbers. Joined lines keep their newline between them.
An event stops growing at `max_lines` lines or about `max_bytes` bytes, so a file of indented lines
cannot become one event too large to store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import Enum, auto

_PY_HEADER = "Traceback (most recent call last):"
_PY_LINKS = ("During handling of the above exception", "The above exception was the direct cause")
_CAUSES = ("Caused by:", "Suppressed:")
_JAVA_HEADER = re.compile(r"(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)\b(?::.*)?$")
# The last line of a Python traceback: `ValueError: bad`, `pkg.mod.CustomError: …`, `KeyboardInterrupt`.
_PY_LAST = re.compile(r"[A-Za-z_][\w.]*(?::|$)")


class _State(Enum):
    NORMAL = auto()
    PY_FRAMES = auto()  # inside a Python traceback, waiting for its last line
    PY_DONE = auto()  # after a traceback's last line: a chained traceback may follow
    PY_LINK = auto()  # after "During handling …": the next traceback header belongs here


def join_multiline(lines: Iterable[str], *, max_lines: int = 1000, max_bytes: int = 48 * 1024) -> Iterator[str]:
    """Yield events; trailing '\\r' / '\\n' of each input line are dropped."""
    event: list[str] = []
    size = 0
    state = _State.NORMAL
    blanks: list[str] = []  # blank lines held back while a chained traceback may continue
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            if event and state in (_State.PY_DONE, _State.PY_LINK):
                blanks.append(line)
                continue
            if event:
                yield "\n".join(event)
                event = []
            yield line
            state = _State.NORMAL
            continue
        cost = (len(line) if line.isascii() else len(line.encode("utf-8", "surrogatepass"))) + 1  # lone surrogates too
        if event and len(event) < max_lines and size + cost <= max_bytes:
            joined = _continues(line, event, state, bool(blanks))
            if joined is not None:
                event.extend(blanks)
                event.append(line)
                size += cost + len(blanks)
                blanks = []
                state = joined
                continue
        if event:
            yield "\n".join(event)
        yield from blanks
        blanks = []
        event = [line]
        size = cost
        state = _State.PY_FRAMES if line.startswith(_PY_HEADER) else _State.NORMAL
    if event:
        yield "\n".join(event)
    yield from blanks


def _continues(line: str, event: list[str], state: _State, after_blank: bool) -> _State | None:
    """The state after joining `line` onto `event`, or None when `line` starts a new event."""
    if after_blank:
        # Only the links of a chained traceback may cross a blank line.
        if state is _State.PY_DONE and line.startswith(_PY_LINKS):
            return _State.PY_LINK
        if state is _State.PY_LINK and line.startswith(_PY_HEADER):
            return _State.PY_FRAMES
        return None
    if line[0] in " \t":
        return state
    if state is _State.PY_FRAMES:
        return _State.PY_DONE if _PY_LAST.match(line) else None
    if state is _State.PY_DONE and line.startswith(_PY_LINKS):
        return _State.PY_LINK
    if state is _State.PY_LINK and line.startswith(_PY_HEADER):
        return _State.PY_FRAMES
    if line.startswith(_CAUSES):
        return state
    if len(event) == 1:
        if line.startswith(_PY_HEADER):
            return _State.PY_FRAMES
        if _JAVA_HEADER.match(line):
            return state
    return None
