"""Keep event bodies out of logs, tracebacks included.

A database driver's exception text quotes what it was given: SQLAlchemy appends `[parameters: …]`,
asyncpg writes `invalid input for query argument $3: '<the message>'`. Those are tenants' event
bodies, which docs/operations.md promises never to log. The filter below renders every traceback
with such exceptions reduced to their type (and SQLSTATE), and does the same to exceptions passed
as log arguments. Other exceptions keep their text: ours never quote bodies.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType
from typing import Any

# Exceptions from these packages may quote statement parameters or values in their text.
_QUOTING_PACKAGES = ("sqlalchemy", "asyncpg", "psycopg", "pydantic_core", "pydantic")


def _quotes_values(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in _QUOTING_PACKAGES


def safe_exception_text(exc: BaseException) -> str:
    """`Type: message`, with the message left out where it may quote data."""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if not _quotes_values(exc):
        return f"{name}: {exc}"
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    suffix = f" (SQLSTATE {state})" if state else ""
    return f"{name}{suffix}: [message withheld: it may quote event data]"


def safe_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and its chain, as Python prints it, but through `safe_exception_text`."""
    parts: list[str] = []
    seen: set[int] = set()

    def render(error: BaseException, tb: TracebackType | None) -> None:
        seen.add(id(error))
        if error.__cause__ is not None and id(error.__cause__) not in seen:
            render(error.__cause__, error.__cause__.__traceback__)
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif error.__context__ is not None and not error.__suppress_context__ and id(error.__context__) not in seen:
            render(error.__context__, error.__context__.__traceback__)
            parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        if tb is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(tb))
        parts.append(safe_exception_text(error) + "\n")

    render(exc, exc.__traceback__)
    return "".join(parts).rstrip("\n")


def _safe_arg(value: Any) -> Any:
    if isinstance(value, BaseException) and _quotes_values(value):
        return safe_exception_text(value)
    return value


class RedactingFilter(logging.Filter):
    """Attach to a handler: renders `exc_text` safely (formatters reuse it) and redacts exception args."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = safe_traceback(record.exc_info[1])
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_safe_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _safe_arg(v) for k, v in record.args.items()}
        return True
