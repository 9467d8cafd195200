"""Use case: find where the search index is behind PostgreSQL and ask for those slices to be reindexed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from src.domain.ports.log_counts import LogCounts
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import TaskStatus, TaskType
from src.usecases.request_reindex import ReindexRequest, RequestReindex

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Reconciled:
    days_checked: int = 0
    behind: dict[UUID, list[date]] = field(default_factory=dict)
    reindexing: list[UUID] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.behind)


class ReconcileSearch:
    """Rules:
    - PostgreSQL is the truth: per tenant and UTC day (over the last `window`), the search index
      must hold at least the events acknowledged more than `settle` ago (newer ones may still be
      on their way through the index queue, so they are not counted);
    - a tenant behind on any day gets one range reindex covering its behind days, unless a range
      reindex of that tenant is already pending or running (no pile-up while it catches up);
    - this covers a search backend that came back empty (a restarted in-memory server, a lost
      volume) as well as one that missed some writes.
    """

    def __init__(
        self,
        counts: LogCounts,
        index: SearchIndex,
        uow_factory: UnitOfWorkFactory,
        reindex: RequestReindex,
        *,
        window: timedelta = timedelta(days=30),
        settle: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._counts = counts
        self._index = index
        self._uow_factory = uow_factory
        self._reindex = reindex
        self._window = window
        self._settle = settle
        self._clock = clock

    async def execute(self) -> Reconciled:
        now = self._clock()
        out = Reconciled()
        for day_count in await self._counts.per_tenant_day(
            since=now - self._window, received_before=now - self._settle
        ):
            out.days_checked += 1
            start = datetime.combine(day_count.day, time(), tzinfo=UTC)
            found = await self._index.count(
                tenant_id=day_count.tenant_id, start=start, end=start + timedelta(days=1) - timedelta(microseconds=1)
            )
            if found < day_count.count:
                out.behind.setdefault(day_count.tenant_id, []).append(day_count.day)
        for tenant_id, days in out.behind.items():
            if await self._reindex_underway(tenant_id):
                continue
            first = datetime.combine(min(days), time(), tzinfo=UTC)
            last = datetime.combine(max(days), time(), tzinfo=UTC) + timedelta(days=1) - timedelta(microseconds=1)
            logger.warning("search is behind PostgreSQL for tenant %s on %d day(s): reindexing", tenant_id, len(days))
            await self._reindex.execute(ReindexRequest(tenant_id=tenant_id, start=first, end=last))
            out.reindexing.append(tenant_id)
        return out

    async def _reindex_underway(self, tenant_id: UUID) -> bool:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            for status in (TaskStatus.PENDING, TaskStatus.RUNNING):
                tasks = await uow.tasks.list(tenant_id=tenant_id, task_type=TaskType.REINDEX, status=status, limit=50)
                if any(t.payload.get("mode") == "range" for t in tasks):
                    return True
        return False
