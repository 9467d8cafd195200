"""Use cases: a tenant's mined patterns — list (with sparklines, new ones since a time) and one by id."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput, NotFound
from src.domain.histogram import zero_filled
from src.domain.patterns.records import PatternFilter, PatternSummary
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.query import check_moment
from src.domain.text import require_storable

MAX_LIMIT = 1000
# Sparkline points per pattern: whole minutes each (the counts are per minute).
SPARK_BUCKETS = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternRange:
    start: datetime
    end: datetime


def spark_interval(start: datetime, end: datetime) -> int:
    """Seconds per sparkline bucket: whole minutes, about SPARK_BUCKETS of them over the range."""
    minutes = math.ceil((end - start).total_seconds() / 60 / SPARK_BUCKETS)
    return max(1, minutes) * 60


def _check(start: datetime, end: datetime) -> None:
    check_moment(start, "from")
    check_moment(end, "to")
    if start > end:
        raise InvalidInput("'from' is after 'to'", details={"field": "from"})


class PatternQueries:
    """Rules: `read` scope; the tenant is the principal's (RLS holds it too); counts, error share and
    sparklines are over [from, to] at minute resolution, aliases counted with their survivor; an
    alias id answers the pattern it was merged into; `limit` 1-MAX_LIMIT."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def search(self, *, principal: Principal, where: PatternFilter) -> list[PatternSummary]:
        principal.require(Scope.READ)
        _check(where.start, where.end)
        check_moment(where.new_since, "new_since")
        if not 1 <= where.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be 1-{MAX_LIMIT}", details={"field": "limit"})
        for name, value in (("service", where.service), ("q", where.text)):
            if value is not None:
                require_storable(value, field=name)
        interval = spark_interval(where.start, where.end)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.patterns.search(tenant_id=principal.tenant_id, where=where)
            series = await uow.patterns.series(
                tenant_id=principal.tenant_id,
                pattern_ids=[p.id for p in found],
                start=where.start,
                end=where.end,
                interval_seconds=interval,
            )
        return [self._with_sparkline(p, series.get(p.id, []), where.start, where.end, interval) for p in found]

    async def get(self, *, principal: Principal, pattern_id: str, within: PatternRange) -> PatternSummary:
        principal.require(Scope.READ)
        _check(within.start, within.end)
        require_storable(pattern_id, field="id")
        interval = spark_interval(within.start, within.end)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.patterns.get(
                tenant_id=principal.tenant_id, pattern_id=pattern_id, start=within.start, end=within.end
            )
            if found is None:
                raise NotFound("no such pattern", details={"id": pattern_id})
            series = await uow.patterns.series(
                tenant_id=principal.tenant_id,
                pattern_ids=[found.id],
                start=within.start,
                end=within.end,
                interval_seconds=interval,
            )
        return self._with_sparkline(found, series.get(found.id, []), within.start, within.end, interval)

    @staticmethod
    def _with_sparkline(
        pattern: PatternSummary, counts: list[tuple[datetime, int]], start: datetime, end: datetime, interval: int
    ) -> PatternSummary:
        return replace(pattern, sparkline=zero_filled(counts, start=start, end=end, interval_seconds=interval))
