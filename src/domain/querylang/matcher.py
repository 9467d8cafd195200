"""The filter evaluated in process, on events in their public (wire) shape: the live stream's
filter. Same meaning as the OpenSearch and SQL translations (tests run the three on one table)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import re2

from src.domain.querylang.ast import And, Compare, Equals, Exists, Expr, MatchAll, Not, Or, Range, Regex, Text, Wildcard
from src.domain.querylang.text import tokens
from src.domain.severity import Severity

_MISSING = object()


def _value(event: dict[str, Any], field: str) -> Any:
    if field.startswith("attr."):
        node: Any = event.get("attributes") or {}
        for part in field.removeprefix("attr.").split("."):
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
        return _MISSING if node is None or isinstance(node, dict | list) else node
    value = event.get(field, _MISSING)
    if field == "severity" and isinstance(value, str) and value in Severity.__members__:
        return int(Severity[value])
    if field == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return _MISSING if value is None else value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)  # JSON keeps 1.0 as 1.0; PostgreSQL and OpenSearch say "1.0" too
    return str(value)


def _ordered(value: Any, target: Any) -> tuple[Any, Any] | None:
    """Both sides comparable the way the backends compare them, or None (no match)."""
    if isinstance(target, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return value, target
    if isinstance(target, datetime | int):
        return (value, target) if isinstance(value, type(target)) and not isinstance(value, bool) else None
    if isinstance(value, bool | int | float) and not isinstance(target, str):
        return None
    return (_as_text(value).encode(), str(target).encode())  # byte order: what `COLLATE "C"` and Lucene use


_OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """`*` and `?` only, as OpenSearch's wildcard query reads them (no character classes)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    return re2.compile(pattern)


def _text(message: str, node: Text) -> bool:
    words = tokens(message)
    head, last, n = node.tokens[:-1], node.tokens[-1], len(node.tokens)
    for i in range(len(words) - n + 1):
        if words[i : i + n - 1] == head:
            word = words[i + n - 1]
            if word == last or (node.prefix and word.startswith(last)):
                return True
    return False


def matches(expr: Expr, event: dict[str, Any]) -> bool:
    match expr:
        case MatchAll():
            return True
        case And(items):
            return all(matches(i, event) for i in items)
        case Or(items):
            return any(matches(i, event) for i in items)
        case Not(item):
            return not matches(item, event)
        case Text():
            return _text(str(event.get("message") or ""), expr)
    value = _value(event, expr.field)
    if value is _MISSING:
        return False
    match expr:
        case Exists():
            return True
        case Equals(value=target):
            if isinstance(target, int | datetime) and not isinstance(target, bool):
                return bool(value == target)
            return _as_text(value) == target
        case Wildcard(pattern=pattern):
            return _wildcard(pattern).fullmatch(_as_text(value)) is not None
        case Regex(pattern=pattern):
            return _regex(pattern).search(_as_text(value)) is not None
        case Compare(op=op, value=target):
            pair = _ordered(value, target)
            return pair is not None and bool(_OPS[op](*pair))
        case Range(low=low, high=high):
            for bound, op in ((low, ">=" if expr.low_inclusive else ">"), (high, "<=" if expr.high_inclusive else "<")):
                if bound is None:
                    continue
                pair = _ordered(value, bound)
                if pair is None or not _OPS[op](*pair):
                    return False
            return True
    return False
