"""`pattern_id:X` in any read (search, export) means X and every pattern merged into it.

Events keep the id they were mined under, so after a merge a filter on the survivor must also
match its aliases; PostgreSQL knows the members (src/domain/patterns/expand.py rewrites the filter).
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from src.domain.patterns.expand import named_patterns, with_members
from src.domain.ports.unit_of_work import UnitOfWork
from src.domain.query import LogQuery
from src.domain.text import require_storable


def named_pattern_ids(query: LogQuery) -> set[str]:
    """The pattern ids `query` names (parameter or `q`); a value PostgreSQL cannot hold is a 422."""
    named = set(query.pattern_ids) | (named_patterns(query.text) if query.text is not None else set())
    for value in named:
        require_storable(value, field="pattern_id")
    return named


async def with_pattern_members(uow: UnitOfWork, tenant_id: UUID, query: LogQuery) -> LogQuery:
    """`query` with each named pattern widened to its members (in a unit of work acting as the tenant)."""
    named = named_pattern_ids(query)
    if not named:
        return query
    members = {p: await uow.patterns.members(tenant_id=tenant_id, pattern_id=p) for p in named}
    ids = sorted({m for p in query.pattern_ids for m in (members[p] or [p])})
    text = with_members(query.text, members) if query.text is not None else None
    return replace(query, pattern_ids=tuple(ids), text=text)
