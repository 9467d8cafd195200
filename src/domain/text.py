"""What text PostgreSQL can store: the one rule every input (events, names, filters) is held to.

PostgreSQL's `text` and `jsonb` cannot hold U+0000, and a lone surrogate (U+D800..U+DFFF, which
JSON's `\\ud800` escape or Python's `surrogateescape` produce) cannot be encoded as UTF-8 at all.
Either would fail the whole statement — and with it every neighbour in the same commit — so inputs
are checked, or sanitised, before they reach storage.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from src.domain.errors import InvalidInput

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def all_storable(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return is_storable(value)
    if type(value) is dict:
        # One pass in C for the common case: orjson refuses lone surrogates and writes U+0000 as an
        # escape. Anything it cannot say for sure (other types, a `\\u0000` that may be literal
        # text) falls through to the walk.
        try:
            dumped = orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):
            pass
        else:
            if b"\\u0000" not in dumped:
                return True
    pending = [value]
    while pending:  # iterative: nesting depth is bounded later, by the event limits
        item = pending.pop()
        if isinstance(item, str):
            if not is_storable(item):
                return False
        elif isinstance(item, dict):
            for key in item:
                if isinstance(key, str) and not is_storable(key):
                    return False
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return True


def unstorable_path(value: Any) -> str | None:
    """Where, in a string or nested dicts and lists, a string or key is not storable; None if nowhere.

    The common case (all storable) takes one walk without building any path."""
    if all_storable(value):
        return None
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if not is_storable(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not is_storable(key):
                    return path or "(key)"
                pending.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list | tuple):
            pending.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def require_storable(value: Any, *, field: str, error: type[InvalidInput] = InvalidInput) -> None:
    """Raise `error` (code `invalid_field`) when `value` holds what PostgreSQL cannot store."""
    where = unstorable_path(value)
    if where is None:
        return
    name = (f"{field}.{where}" if where else field)[:200]
    raise error(
        f"{name} holds a character that cannot be stored (U+0000 or a lone surrogate)",
        code="invalid_field",
        details={"field": name},
    )


def sanitised(text: str) -> str:
    """Text with U+0000 and lone surrogates replaced by U+FFFD: for raw lines, kept and visibly marked."""
    if is_storable(text):
        return text
    text = text.replace("\x00", REPLACEMENT)
    try:
        text.encode()
    except UnicodeEncodeError:
        # Undoing surrogateescape first restores the original bytes, so each bad byte becomes one U+FFFD.
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return _SURROGATE.sub(REPLACEMENT, text)
    return text


def sanitised_value(value: Any) -> Any:
    """A parsed JSON value with every string and key `sanitised` (a copy; nesting is JSON's, bounded)."""
    if isinstance(value, str):
        return sanitised(value)
    if isinstance(value, dict):
        return {sanitised(str(k)): sanitised_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitised_value(v) for v in value]
    return value
