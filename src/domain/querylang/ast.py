"""The typed AST of a filter. Values are already typed for their field (severity, time, number, text).

Translators (OpenSearch DSL, SQL, the in-process stream matcher) walk these nodes; none of them
carries a tenant: every adapter adds the tenant filter itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Scalar = str | float | int | datetime
CompareOp = Literal[">", ">=", "<", "<="]


@dataclass(frozen=True, slots=True)
class MatchAll:
    """`*` alone, or an empty filter."""


@dataclass(frozen=True, slots=True)
class Text:
    """Full text on the message: the tokens in this order, adjacent (one token = a word).
    `prefix` makes the last token a prefix (`pay*`)."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Equals:
    field: str
    value: Scalar


@dataclass(frozen=True, slots=True)
class Wildcard:
    """`*` any run of characters, `?` one character; the whole value must match (case-sensitive)."""

    field: str
    pattern: str


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: CompareOp
    value: Scalar


@dataclass(frozen=True, slots=True)
class Range:
    field: str
    low: Scalar | None
    high: Scalar | None
    low_inclusive: bool = True
    high_inclusive: bool = True


@dataclass(frozen=True, slots=True)
class Exists:
    field: str


@dataclass(frozen=True, slots=True)
class Regex:
    """RE2 syntax, unanchored (a match anywhere in the value)."""

    field: str
    pattern: str


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


Expr = MatchAll | Text | Equals | Wildcard | Compare | Range | Exists | Regex | Not | And | Or


def field_names(expr: Expr) -> set[str]:
    """Every field the filter reads (translators use it to decide whether they can answer)."""
    match expr:
        case Not(item):
            return field_names(item)
        case And(items) | Or(items):
            return set().union(*(field_names(i) for i in items))
        case Equals(field=f) | Wildcard(field=f) | Compare(field=f) | Range(field=f) | Exists(field=f) | Regex(field=f):
            return {f}
        case Text():
            return {"message"}
    return set()
