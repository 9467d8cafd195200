"""IngestLogs and the group-commit writer against in-memory fakes of the ports."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from src.domain.commit_order import CommitSpan
from src.domain.credentials import Principal, Scope
from src.domain.errors import Conflict, DomainError, Forbidden, InvalidEvent
from src.domain.event_limits import EventLimits
from src.domain.logs import LogDraft, StoredRef
from src.domain.severity import Severity
from src.domain.tasks import TaskStatus, TaskType
from src.usecases.group_commit import GroupCommitWriter
from src.usecases.ingest_logs import IngestLogs, IngestRequest
from tests.fakes import FakePartitions, FakeUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def principal(*scopes: Scope, tenant=None) -> Principal:
    return Principal(tenant_id=tenant or uuid4(), subject="key:test", scopes=frozenset(scopes), via="api_key")


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def use_case(uow: FakeUnitOfWorkFactory) -> IngestLogs:
    writer = GroupCommitWriter(uow, FakePartitions(), max_inflight=1)
    return IngestLogs(writer, limits=EventLimits(), clock=lambda: NOW)


async def test_needs_ingest_scope(use_case: IngestLogs) -> None:
    with pytest.raises(Forbidden):
        await use_case.execute(IngestRequest(principal=principal(Scope.READ), items=[LogDraft(message="x")]))


async def test_stores_events_with_outbox_task_in_one_commit(use_case: IngestLogs, uow: FakeUnitOfWorkFactory) -> None:
    who = principal(Scope.INGEST)
    result = await use_case.execute(
        IngestRequest(principal=who, items=[LogDraft(message="a"), LogDraft(message="b", severity=Severity.ERROR)])
    )
    assert result.accepted == 2 and result.rejected == 0
    assert uow.store.commits == 1
    stored = {e.message: e for e in uow.store.logs.values()}
    assert stored["a"].timestamp == NOW  # a missing timestamp becomes the time of receipt
    assert stored["b"].severity is Severity.ERROR
    assert all(e.tenant_id == who.tenant_id for e in stored.values())
    (task,) = uow.store.tasks.values()
    assert task.task_type is TaskType.REINDEX and task.status is TaskStatus.PENDING
    # The task names the commit; the commit order's entry lists its events.
    ((tenant, log_ids),) = uow.store.commit_order
    assert tenant == who.tenant_id and sorted(log_ids) == sorted(e.id for e in stored.values())
    assert task.payload["commit"] == CommitSpan.of(log_ids).to_payload()
    assert task.payload["count"] == 2
    assert task.tenant_id == who.tenant_id


async def test_bad_events_reject_only_themselves(use_case: IngestLogs, uow: FakeUnitOfWorkFactory) -> None:
    items: list[LogDraft | DomainError] = [
        LogDraft(message="ok"),
        LogDraft(message="   "),
        LogDraft(message="future", timestamp=NOW + timedelta(hours=1)),
        InvalidEvent("not an object"),
        LogDraft(message="deep", attributes={"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}),
    ]
    result = await use_case.execute(IngestRequest(principal=principal(Scope.INGEST), items=items))
    assert [type(o).__name__ for o in result.outcomes] == [
        "StoredRef",
        "InvalidEvent",
        "InvalidEvent",
        "InvalidEvent",
        "InvalidEvent",
    ]
    assert [getattr(o, "code", None) for o in result.outcomes[1:]] == [
        "message_required",
        "timestamp_in_future",
        "invalid_event",
        "attributes_too_deep",
    ]
    assert len(uow.store.logs) == 1


async def test_client_id_is_stored_once_even_without_timestamp(
    use_case: IngestLogs, uow: FakeUnitOfWorkFactory
) -> None:
    who = principal(Scope.INGEST)
    first = await use_case.execute(IngestRequest(principal=who, items=[LogDraft(message="m", client_id="id:1")]))
    again = await use_case.execute(
        IngestRequest(
            principal=who, items=[LogDraft(message="m", client_id="id:1"), LogDraft(message="m", client_id="id:1")]
        )
    )
    (ref,) = first.outcomes
    assert isinstance(ref, StoredRef) and ref.created
    assert all(isinstance(o, StoredRef) and o.id == ref.id and not o.created for o in again.outcomes)
    assert len(uow.store.logs) == 1


async def test_same_client_id_other_tenant_is_another_event(use_case: IngestLogs, uow: FakeUnitOfWorkFactory) -> None:
    for _ in range(2):
        await use_case.execute(
            IngestRequest(principal=principal(Scope.INGEST), items=[LogDraft(message="m", client_id="id:1")])
        )
    assert len(uow.store.logs) == 2


async def test_idempotency_key_with_other_body_conflicts(use_case: IngestLogs) -> None:
    who = principal(Scope.INGEST)
    await use_case.execute(
        IngestRequest(principal=who, items=[LogDraft(message="m", client_id="key:k", request_hash="h1")])
    )
    result = await use_case.execute(
        IngestRequest(principal=who, items=[LogDraft(message="n", client_id="key:k", request_hash="h2")])
    )
    (outcome,) = result.outcomes
    assert isinstance(outcome, Conflict)


async def test_concurrent_requests_share_commits(uow: FakeUnitOfWorkFactory) -> None:
    writer = GroupCommitWriter(uow, FakePartitions(), max_inflight=1)
    use_case = IngestLogs(writer, limits=EventLimits(), clock=lambda: NOW)
    who = principal(Scope.INGEST)
    results = await asyncio.gather(
        *(use_case.execute(IngestRequest(principal=who, items=[LogDraft(message=f"m{i}")])) for i in range(50))
    )
    assert all(r.accepted == 1 for r in results)
    assert len(uow.store.logs) == 50
    assert uow.store.commits < 50  # grouped: the first commits alone, the rest wait and share


async def test_each_tenants_share_of_a_group_takes_one_place_in_commit_order(uow: FakeUnitOfWorkFactory) -> None:
    """One commit-order entry per tenant per group (not per event), holding exactly what it stored,
    in the order it is published; tenants in a fixed order, so two groups never wait on each other."""
    writer = GroupCommitWriter(uow, FakePartitions(), max_inflight=1)
    use_case = IngestLogs(writer, limits=EventLimits(), clock=lambda: NOW)
    tenants = [principal(Scope.INGEST) for _ in range(3)]
    await asyncio.gather(
        *(
            use_case.execute(IngestRequest(principal=who, items=[LogDraft(message=f"m{i}") for i in range(3)]))
            for who in tenants * 4
        )
    )
    entries = uow.store.commit_order
    assert len(entries) <= uow.store.commits * len(tenants)
    assert sorted(i for _, ids in entries for i in ids) == sorted(uow.store.logs)
    for tenant, ids in entries:
        assert all(uow.store.logs[i].tenant_id == tenant for i in ids)
    assert len(entries) < len(uow.store.logs)


async def test_one_poison_request_does_not_fail_its_neighbours(uow: FakeUnitOfWorkFactory) -> None:
    uow.store.fail_when_message = "poison"
    writer = GroupCommitWriter(uow, FakePartitions(), max_inflight=1)
    use_case = IngestLogs(writer, limits=EventLimits(), clock=lambda: NOW)
    who = principal(Scope.INGEST)
    outcomes = await asyncio.gather(
        *(
            use_case.execute(IngestRequest(principal=who, items=[LogDraft(message="poison" if i == 3 else f"m{i}")]))
            for i in range(10)
        ),
        return_exceptions=True,
    )
    failed = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failed) == 1
    assert len(uow.store.logs) == 9


async def test_failed_commit_is_reported_not_acknowledged(uow: FakeUnitOfWorkFactory) -> None:
    uow.store.fail_next_commits = 1
    writer = GroupCommitWriter(uow, FakePartitions())
    use_case = IngestLogs(writer, limits=EventLimits(), clock=lambda: NOW)
    with pytest.raises(RuntimeError):
        await use_case.execute(IngestRequest(principal=principal(Scope.INGEST), items=[LogDraft(message="m")]))
    assert uow.store.logs == {}


async def test_partitions_are_ensured_for_event_days(uow: FakeUnitOfWorkFactory) -> None:
    partitions = FakePartitions()
    use_case = IngestLogs(GroupCommitWriter(uow, partitions), limits=EventLimits(), clock=lambda: NOW)
    earlier = NOW - timedelta(days=3)
    await use_case.execute(
        IngestRequest(
            principal=principal(Scope.INGEST), items=[LogDraft(message="m", timestamp=earlier), LogDraft(message="n")]
        )
    )
    assert partitions.days == {earlier.date(), NOW.date()}


async def test_partition_trouble_does_not_fail_ingest_and_old_days_make_no_partition(
    uow: FakeUnitOfWorkFactory,
) -> None:
    class Broken(FakePartitions):
        async def ensure_days(self, days):  # type: ignore[no-untyped-def]
            raise RuntimeError("DDL refused")

    use_case = IngestLogs(GroupCommitWriter(uow, Broken()), limits=EventLimits())
    result = await use_case.execute(IngestRequest(principal=principal(Scope.INGEST), items=[LogDraft(message="m")]))
    assert result.accepted == 1 and len(uow.store.logs) == 1

    partitions = FakePartitions()
    use_case = IngestLogs(GroupCommitWriter(uow, partitions), limits=EventLimits())
    old = datetime(2020, 1, 1, tzinfo=UTC)
    await use_case.execute(
        IngestRequest(principal=principal(Scope.INGEST), items=[LogDraft(message="m", timestamp=old)])
    )
    assert partitions.days == set()
