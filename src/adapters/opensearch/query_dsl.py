"""The query language's filter as an OpenSearch bool query. What OpenSearch cannot answer exactly
raises UnsupportedQuery before any request is sent, and the use case asks PostgreSQL instead:

- regular expressions (RE2 is not Lucene's regexp syntax, and `message.keyword` stops at 1,024 chars),
- ordered comparisons on attributes (`flat_object` keeps every value as a string: "1000" < "250"),
- a prefix inside a phrase (`match_phrase_prefix` expands only the first N terms).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from src.domain.querylang.ast import And, Compare, Equals, Exists, Expr, MatchAll, Not, Or, Range, Regex, Text, Wildcard
from src.domain.querylang.errors import UnsupportedQuery
from src.domain.severity import Severity

_OPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def field_name(field: str) -> str:
    if field.startswith("attr."):
        return "attributes." + field.removeprefix("attr.")
    return "severity_number" if field == "severity" else field


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _unsupported(what: str) -> UnsupportedQuery:
    return UnsupportedQuery(f"the search index cannot answer {what} exactly", backend="opensearch")


def _text(node: Text) -> dict[str, Any]:
    if node.prefix:
        if len(node.tokens) > 1:
            raise _unsupported("a phrase ending in a prefix")
        return {"prefix": {"message": node.tokens[0]}}
    if len(node.tokens) == 1:
        return {"term": {"message": node.tokens[0]}}
    return {"match_phrase": {"message": " ".join(node.tokens)}}


def _range(field: str, bounds: dict[str, Any]) -> dict[str, Any]:
    if field.startswith("attr."):
        raise _unsupported("a comparison on an attribute")
    return {"range": {field_name(field): {k: _value(v) for k, v in bounds.items()}}}


def to_dsl(expr: Expr) -> dict[str, Any]:
    match expr:
        case MatchAll():
            return {"match_all": {}}
        case And(items):
            return {"bool": {"filter": [to_dsl(i) for i in items]}}
        case Or(items):
            return {"bool": {"should": [to_dsl(i) for i in items], "minimum_should_match": 1}}
        case Not(item):
            return {"bool": {"must_not": [to_dsl(item)]}}
        case Text():
            return _text(expr)
        case Equals(field="timestamp", value=value):
            return {"range": {"timestamp": {"gte": _value(value), "lte": _value(value)}}}
        case Equals(field=field, value=value):
            return {"term": {field_name(field): _value(value)}}
        case Wildcard(field=field, pattern=pattern):
            return {"wildcard": {field_name(field): {"value": pattern.replace("\\", "\\\\")}}}
        case Exists(field=field):
            return {"exists": {"field": field_name(field)}}
        case Regex():
            raise _unsupported("a regular expression")
        case Compare(field=field, op=op, value=value):
            return _range(field, {_OPS[op]: value})
        case Range(field=field, low=low, high=high):
            bounds: dict[str, Any] = {}
            if low is not None:
                bounds["gte" if expr.low_inclusive else "gt"] = low
            if high is not None:
                bounds["lte" if expr.high_inclusive else "lt"] = high
            return _range(field, bounds) if bounds else {"exists": {"field": field_name(field)}}
    raise AssertionError(expr)


def severity_name(number: int) -> str:
    return Severity(number).name
