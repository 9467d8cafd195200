"""The query language's filter as a SQL predicate on `logs`, with every value a bound parameter.

Every leaf is wrapped in COALESCE(…, FALSE) so that NOT of a missing field is true, as it is in
OpenSearch's must_not and in the stream's matcher: SQL's three-valued logic would drop those rows.
"""

from __future__ import annotations

import re
from typing import Any

from src.domain.querylang.ast import And, Compare, Equals, Exists, Expr, MatchAll, Not, Or, Range, Regex, Text, Wildcard
from src.domain.querylang.errors import UnsupportedQuery

# A word starts where no word character (or word character plus `.`/`'`) precedes it, and ends
# where none follows: the tokeniser in src/domain/querylang/text.py, as a regular expression.
_W = "[[:alnum:]_]"
_START = f"(?<!{_W})(?<!{_W}[.'])"
_END = f"(?!{_W})(?![.']{_W})"
_GAP = "[^[:alnum:]_]+"
_RE2_TO_ARE = {"b": "\\y", "B": "\\Y", "A": "^", "z": "$"}


class SqlParams:
    def __init__(self, params: dict[str, Any], prefix: str = "q") -> None:
        self.params = params
        self.prefix = prefix

    def bind(self, value: Any) -> str:
        name = f"{self.prefix}_{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def attr_path(field: str) -> list[str]:
    return field.removeprefix("attr.").split(".")


def scalar_attr(field: str, p: SqlParams) -> str:
    """The attribute's text when it is a string, number or boolean (objects and arrays are not values)."""
    path = p.bind(attr_path(field))
    return (
        f"(CASE WHEN jsonb_typeof(attributes #> CAST({path} AS text[])) IN ('string', 'number', 'boolean') "
        f"THEN attributes #>> CAST({path} AS text[]) END)"
    )


def numeric_attr(field: str, p: SqlParams) -> str:
    path = p.bind(attr_path(field))
    return (
        f"(CASE WHEN jsonb_typeof(attributes #> CAST({path} AS text[])) = 'number' "
        f"THEN CAST(attributes #>> CAST({path} AS text[]) AS double precision) END)"
    )


def column(field: str, p: SqlParams, *, value: Any = None) -> str:
    if field.startswith("attr."):
        return numeric_attr(field, p) if isinstance(value, float) else scalar_attr(field, p)
    if field == "id":
        return "CAST(id AS text)"
    if field == "timestamp":
        return '"timestamp"'
    return field  # one of the fixed column names the parser admits


def _text(node: Text, p: SqlParams) -> str:
    body = _GAP.join(_START + re.escape(t) + _END for t in node.tokens)
    if node.prefix:
        body = body.removesuffix(_END)
    return f"message ~* {p.bind(body)}"


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def are_regex(pattern: str) -> str:
    """RE2 → PostgreSQL's ARE: the escapes that differ (`\\b` is a backspace in ARE)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in ("p", "P", "C", "Q", "E"):
                raise UnsupportedQuery(f"the PostgreSQL reader cannot run the regex escape \\{nxt}", backend="postgres")
            out.append(_RE2_TO_ARE.get(nxt, char + nxt))
            i += 2
            continue
        if pattern.startswith("(?P<", i):
            raise UnsupportedQuery("named groups are not supported by the PostgreSQL reader", backend="postgres")
        out.append(char)
        i += 1
    return "".join(out)


def _ordered(field: str, value: Any, p: SqlParams) -> str:
    expr = column(field, p, value=value)
    return f'{expr} COLLATE "C"' if isinstance(value, str) else expr


def _leaf(expr: Expr, p: SqlParams) -> str:
    match expr:
        case Text():
            return _text(expr, p)
        case Equals(field=field, value=value):
            return f"{column(field, p)} = {p.bind(value)}"
        case Wildcard(field=field, pattern=pattern):
            return f"{column(field, p)} LIKE {p.bind(_like(pattern))}"
        case Regex(field=field, pattern=pattern):
            return f"{column(field, p)} ~ {p.bind(are_regex(pattern))}"
        case Exists(field=field):
            return f"{column(field, p)} IS NOT NULL"
        case Compare(field=field, op=op, value=value):
            return f"{_ordered(field, value, p)} {op} {p.bind(value)}"
        case Range(field=field, low=low, high=high):
            parts = []
            if low is not None:
                parts.append(f"{_ordered(field, low, p)} {'>=' if expr.low_inclusive else '>'} {p.bind(low)}")
            if high is not None:
                parts.append(f"{_ordered(field, high, p)} {'<=' if expr.high_inclusive else '<'} {p.bind(high)}")
            return " AND ".join(parts) or f"{column(field, p)} IS NOT NULL"
    raise AssertionError(expr)


def to_sql(expr: Expr, p: SqlParams) -> str:
    match expr:
        case MatchAll():
            return "TRUE"
        case And(items):
            return "(" + " AND ".join(to_sql(i, p) for i in items) + ")"
        case Or(items):
            return "(" + " OR ".join(to_sql(i, p) for i in items) + ")"
        case Not(item):
            return f"(NOT {to_sql(item, p)})"
    return f"COALESCE(({_leaf(expr, p)}), FALSE)"
