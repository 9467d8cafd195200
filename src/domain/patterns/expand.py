"""`pattern_id:X` means the pattern X and every pattern merged into it (its aliases).

Events keep the id they were mined under; after a merge, the surviving pattern's events are those
stored under its own id and under its aliases. Reads rewrite the filter with the ids PostgreSQL
lists for each pattern named, so both search backends answer the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from src.domain.querylang.ast import And, Equals, Expr, Not, Or

FIELD = "pattern_id"


def named_patterns(expr: Expr) -> set[str]:
    """The pattern ids a filter compares for equality."""
    match expr:
        case Equals(field=f, value=value) if f == FIELD and isinstance(value, str):
            return {value}
        case Not(item):
            return named_patterns(item)
        case And(items) | Or(items):
            return set().union(*(named_patterns(i) for i in items))
    return set()


def with_members(expr: Expr, members: Mapping[str, Sequence[str]]) -> Expr:
    """The filter with each `pattern_id:X` widened to X's members (X itself when none are known)."""
    match expr:
        case Equals(field=f, value=value) if f == FIELD and isinstance(value, str):
            ids = [i for i in members.get(value, ()) if i != value]
            return Or((expr, *(Equals(FIELD, i) for i in ids))) if ids else expr
        case Not(item):
            return Not(with_members(item, members))
        case And(items):
            return And(tuple(with_members(i, members) for i in items))
        case Or(items):
            return Or(tuple(with_members(i, members) for i in items))
    return expr
