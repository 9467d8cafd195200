"""The anomaly run over fakes: watermark, idempotence, the task it records, the leader lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from src.domain.anomalies.anomaly import AnomalyFilter
from src.domain.anomalies.scoring import WindowScorer
from src.domain.credentials import Principal, Scope
from src.domain.errors import Forbidden, InvalidInput
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.ports.leader_lock import LeaderLock
from src.domain.severity import Severity
from src.domain.tasks import TaskStatus, TaskType
from src.domain.tenants import Tenant, TenantStatus
from src.usecases.detect_anomalies import DetectAnomalies, DetectionPolicy, DetectRequest
from src.usecases.list_anomalies import ListAnomalies
from src.usecases.run_anomaly_detection import RunAnomalyDetection
from src.usecases.schedule_anomaly_detection import ScheduleAnomalyDetection
from tests.fakes import FakeUnitOfWorkFactory, Store
from tests.unit.anomalies.test_scorer import FixedModel

NOW = datetime(2026, 12, 2, 12, 0, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)


def event(tenant_id: UUID, at: datetime, severity: Severity = Severity.INFO, service: str = "api") -> LogEvent:
    return LogEvent(
        id=new_id(), tenant_id=tenant_id, timestamp=at, received_at=at, message="m", severity=severity,
        service=service, host=None, user_id=None, action=None, trace_id=None, span_id=None, attributes={},
    )  # fmt: skip


def seed(store: Store, tenant_id: UUID, *, minutes: int = 60, burst_at: datetime | None = None) -> None:
    """`minutes` of 20 events/min (one error every third minute) before NOW's settled edge, and 15
    errors more in the burst minute."""
    first = NOW.replace(second=0) - (minutes + 1) * MIN
    for m in range(minutes):
        at = first + m * MIN
        for i in range(20):
            sev = Severity.ERROR if i == 0 and m % 3 == 0 else Severity.INFO
            e = event(tenant_id, at + timedelta(seconds=i), sev)
            store.logs[e.id] = e
        if at == burst_at:
            for i in range(15):
                e = event(tenant_id, at + timedelta(seconds=30, microseconds=i), Severity.FATAL)
                store.logs[e.id] = e


class Lock(LeaderLock):
    def __init__(self, held: bool) -> None:
        self.held = held

    async def try_acquire(self) -> bool:
        return self.held

    async def release(self) -> None:
        self.held = False


def detector(uow: FakeUnitOfWorkFactory, *, clock: datetime = NOW) -> DetectAnomalies:
    policy = DetectionPolicy(settle=timedelta(seconds=0), backfill=timedelta(hours=2))
    return DetectAnomalies(uow, WindowScorer(FixedModel(0.5)), policy=policy, clock=lambda: clock)


def principal(tenant_id: UUID, *scopes: Scope) -> Principal:
    return Principal(tenant_id=tenant_id, subject="alice", scopes=frozenset(scopes), via="api_key")


async def test_a_run_stores_the_burst_records_a_task_and_moves_the_watermark() -> None:
    uow = FakeUnitOfWorkFactory()
    tenant = new_id()
    burst = NOW.replace(second=0) - 5 * MIN
    seed(uow.store, tenant, burst_at=burst)
    run = await detector(uow).execute(DetectRequest(tenant_id=tenant))
    assert run.end == NOW.replace(second=0) and run.windows_scored == 61  # from its first window on, silence filled
    assert run.anomalies_found == 1
    [anomaly] = uow.store.anomalies.values()
    assert anomaly.window_start == burst and anomaly.service == "api" and anomaly.score >= 0.5
    assert "error ratio" in anomaly.sentence and anomaly.features["errors"] == 15 + (burst.minute % 3 == 0)
    assert uow.store.watermarks[tenant] == run.end
    task = uow.store.tasks[run.task_id]  # type: ignore[index]
    assert task.task_type is TaskType.ANOMALY_DETECTION and task.status is TaskStatus.SUCCEEDED
    assert task.result["windows_scored"] == 61 and task.result["anomalies_found"] == 1
    assert "duration_ms" in task.result


async def test_a_second_run_scores_only_new_windows_and_records_nothing_when_there_are_none() -> None:
    uow = FakeUnitOfWorkFactory()
    tenant = new_id()
    seed(uow.store, tenant)
    first = await detector(uow).execute(DetectRequest(tenant_id=tenant))
    again = await detector(uow).execute(DetectRequest(tenant_id=tenant))
    assert again.windows_scored == 0 and again.task_id is None
    assert len(uow.store.tasks) == 1
    later = await detector(uow, clock=NOW + 3 * MIN).execute(DetectRequest(tenant_id=tenant))
    assert later.start == first.end and later.windows_scored == 3  # the service's silence, filled


async def test_rerunning_a_range_gives_the_same_anomalies() -> None:
    uow = FakeUnitOfWorkFactory()
    tenant = new_id()
    seed(uow.store, tenant, burst_at=NOW.replace(second=0) - 7 * MIN)
    await detector(uow).execute(DetectRequest(tenant_id=tenant))
    before = dict(uow.store.anomalies)
    del uow.store.watermarks[tenant]  # as if the run had to be repeated
    await detector(uow).execute(DetectRequest(tenant_id=tenant))
    assert {k: (a.score, a.sentence) for k, a in uow.store.anomalies.items()} == {
        k: (a.score, a.sentence) for k, a in before.items()
    }


async def test_a_failing_run_records_a_failed_task_and_moves_nothing() -> None:
    class Broken(FixedModel):
        def score(self, *, train, test):  # type: ignore[no-untyped-def]
            raise RuntimeError("model exploded")

    uow = FakeUnitOfWorkFactory()
    tenant = new_id()
    seed(uow.store, tenant)
    failing = DetectAnomalies(uow, WindowScorer(Broken()), policy=DetectionPolicy(), clock=lambda: NOW)
    with pytest.raises(RuntimeError):
        await failing.execute(DetectRequest(tenant_id=tenant))
    [task] = uow.store.tasks.values()
    assert task.status is TaskStatus.FAILED and "model exploded" in (task.error_msg or "")
    assert tenant not in uow.store.watermarks or uow.store.watermarks[tenant] is None


async def test_the_schedule_runs_every_active_tenant_only_while_it_leads() -> None:
    uow = FakeUnitOfWorkFactory()
    active, suspended = new_id(), new_id()
    for tid, status in ((active, TenantStatus.ACTIVE), (suspended, TenantStatus.SUSPENDED)):
        uow.store.tenants[tid] = Tenant(id=tid, name=str(tid), status=status, retention_days=7)
        seed(uow.store, tid, minutes=10)
    assert await ScheduleAnomalyDetection(uow, Lock(False), detector(uow)).execute() == []
    runs = await ScheduleAnomalyDetection(uow, Lock(True), detector(uow)).execute()
    assert [r.tenant_id for r in runs] == [active]


async def test_listing_is_the_tenants_own_and_checks_its_filters() -> None:
    uow = FakeUnitOfWorkFactory()
    tenant, other = new_id(), new_id()
    seed(uow.store, tenant, burst_at=NOW.replace(second=0) - 5 * MIN)
    await RunAnomalyDetection(detector(uow)).execute(principal=principal(tenant, Scope.ADMIN))
    listing = ListAnomalies(uow)
    mine = await listing.execute(principal=principal(tenant, Scope.READ), where=AnomalyFilter())
    assert len(mine) == 1
    assert await listing.execute(principal=principal(other, Scope.READ), where=AnomalyFilter()) == []
    assert await listing.execute(principal=principal(tenant, Scope.READ), where=AnomalyFilter(service="web")) == []
    with pytest.raises(InvalidInput):
        await listing.execute(principal=principal(tenant, Scope.READ), where=AnomalyFilter(start=NOW, end=NOW - MIN))
    with pytest.raises(Forbidden):
        await RunAnomalyDetection(detector(uow)).execute(principal=principal(tenant, Scope.READ))
