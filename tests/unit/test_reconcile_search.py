"""Issue 10, finding 3: the search index behind PostgreSQL (or empty after a restart) is reindexed by itself."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from src.domain.ports.log_counts import DayCount, LogCounts
from src.domain.tasks import TaskType
from src.domain.tenants import Tenant, TenantStatus
from src.usecases.publish_tasks import PublishTasks
from src.usecases.reconcile_search import ReconcileSearch
from src.usecases.request_reindex import RequestReindex
from tests.fakes import FakeSearchIndex, FakeTaskQueue, FakeUnitOfWorkFactory

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


class Counts(LogCounts):
    def __init__(self, rows: list[DayCount]) -> None:
        self.rows = rows

    async def per_tenant_day(self, *, since: datetime, received_before: datetime) -> list[DayCount]:
        return self.rows


class DayIndex(FakeSearchIndex):
    def __init__(self, found: dict[tuple[UUID, date], int]) -> None:
        super().__init__()
        self.found = found

    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int:
        assert start is not None
        return self.found.get((tenant_id, start.date()), 0)


def _world(rows: list[DayCount], found: dict[tuple[UUID, date], int]) -> tuple[ReconcileSearch, FakeUnitOfWorkFactory]:
    uow = FakeUnitOfWorkFactory()
    for tenant_id in {r.tenant_id for r in rows}:
        uow.store.tenants[tenant_id] = Tenant(
            id=tenant_id, name=str(tenant_id), status=TenantStatus.ACTIVE, retention_days=30
        )
    reindex = RequestReindex(uow, PublishTasks(FakeTaskQueue()))
    return ReconcileSearch(Counts(rows), DayIndex(found), uow, reindex, clock=lambda: NOW), uow


async def test_days_behind_get_one_range_reindex_per_tenant_and_no_pile_up() -> None:
    behind, fine = uuid4(), uuid4()
    d1, d2, d3 = date(2026, 11, 28), date(2026, 11, 30), date(2026, 12, 1)
    rows = [DayCount(behind, d1, 10), DayCount(behind, d2, 5), DayCount(behind, d3, 7), DayCount(fine, d3, 4)]
    # An empty index for d1, a partial one for d2; d3 and the other tenant are complete.
    reconcile, uow = _world(rows, {(behind, d2): 3, (behind, d3): 7, (fine, d3): 4})
    out = await reconcile.execute()
    assert out.behind == {behind: [d1, d2]} and out.reindexing == [behind]
    (task,) = uow.store.tasks.values()
    assert task.task_type is TaskType.REINDEX and task.tenant_id == behind
    assert task.payload["mode"] == "range" and task.payload["from"].startswith("2026-11-28T00:00:00")
    assert task.payload["to"].startswith("2026-11-30T23:59:59")
    # Next round, while that reindex is still pending: nothing new.
    again = await reconcile.execute()
    assert again.reindexing == [] and len(uow.store.tasks) == 1


async def test_an_index_in_step_with_postgres_asks_for_nothing() -> None:
    tenant = uuid4()
    reconcile, uow = _world([DayCount(tenant, date(2026, 12, 1), 9)], {(tenant, date(2026, 12, 1)): 9})
    out = await reconcile.execute()
    assert not out and uow.store.tasks == {}
