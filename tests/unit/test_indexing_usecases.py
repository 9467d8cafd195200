"""Index worker step, outbox relay, search fallback and the q parser against fakes of the ports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from src.adapters.memory.event_bus import InProcessEventBus
from src.domain.credentials import Principal, Scope
from src.domain.errors import DependencyUnavailable, InvalidInput
from src.domain.event_limits import EventLimits
from src.domain.logs import LogDraft
from src.domain.ports.outbox import OutboxStore
from src.domain.ports.task_queue import QueueMessage
from src.domain.query import Cursor, LogQuery, parse_text_query
from src.domain.tasks import AsyncTask, TaskStatus, TaskType, task_message
from src.domain.wire import rfc3339
from src.usecases.group_commit import GroupCommitWriter
from src.usecases.index_tasks import IndexTasks
from src.usecases.ingest_logs import IngestLogs, IngestRequest
from src.usecases.publish_tasks import AnnounceCommitted, PublishTasks, RelayOutbox
from src.usecases.search_logs import SearchLogs
from tests.fakes import FakePartitions, FakeSearchIndex, FakeTaskQueue, FakeUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
AT = rfc3339(NOW)  # the fixed clock's time, as payloads carry it


def who(*scopes: Scope, tenant=None) -> Principal:
    return Principal(tenant_id=tenant or uuid4(), subject="key:t", scopes=frozenset(scopes), via="api_key")


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.queue = FakeTaskQueue()
        self.index = FakeSearchIndex()
        self.publish = PublishTasks(self.queue)
        self.bus = InProcessEventBus()
        writer = GroupCommitWriter(
            self.uow, FakePartitions(), after_commit=AnnounceCommitted(self.publish, self.bus).execute
        )
        self.ingest = IngestLogs(writer, limits=EventLimits(), clock=lambda: NOW)
        self.writer = writer
        self.worker = IndexTasks(self.uow, self.index, self.queue, max_receive_count=3, range_batch=4)

    async def store(self, principal: Principal, n: int) -> None:
        items = [LogDraft(message=f"m{i}", timestamp=NOW - timedelta(seconds=i)) for i in range(n)]
        await self.ingest.execute(IngestRequest(principal=principal, items=items))
        await self.writer.close()  # let the post-commit publish run

    async def receive(self) -> list[QueueMessage]:
        return await self.queue.receive(queue="index")


@pytest.fixture
def world() -> World:
    return World()


async def test_committed_tasks_are_published_then_indexed_once(world: World) -> None:
    tenant = who(Scope.INGEST, Scope.READ)
    await world.store(tenant, 5)
    messages = await world.receive()
    assert len(messages) == 1 and messages[0].body["tenant_id"] == str(tenant.tenant_id)
    outcome = await world.worker.execute(messages)
    assert outcome.indexed == 5 and len(world.index.docs) == 5
    assert outcome.receipts == [messages[0].receipt]  # for the task runner to acknowledge
    (task,) = world.uow.store.tasks.values()
    assert task.status is TaskStatus.SUCCEEDED and task.result == {"indexed": 5, "missing": 0}
    # At-least-once delivery: the same message again is acknowledged and skipped.
    again = await world.worker.execute(messages)
    assert again.indexed == 0 and again.receipts == [messages[0].receipt] and world.index.bulk_calls == 1


async def test_many_tasks_share_one_bulk_request(world: World) -> None:
    for _ in range(4):
        await world.store(who(Scope.INGEST), 3)
    messages = await world.receive()
    assert len(messages) == 4
    outcome = await world.worker.execute(messages)
    assert outcome.indexed == 12 and world.index.bulk_calls == 1


async def test_failure_is_retried_then_failed_on_the_last_delivery(world: World) -> None:
    await world.store(who(Scope.INGEST), 2)
    (message,) = await world.receive()
    world.index.refuse = {"m0"}  # a document the backend refuses: the task's own fault
    first = await world.worker.execute([message])
    (task,) = world.uow.store.tasks.values()
    assert first.retrying == [task.task_id] and first.receipts == []
    assert world.uow.store.tasks[task.task_id].status is TaskStatus.PENDING
    assert "indexing failed" in (world.uow.store.tasks[task.task_id].error_msg or "")
    last = QueueMessage(body=message.body, receipt="r-last", receive_count=3)
    outcome = await world.worker.execute([last])
    assert outcome.failed == [task.task_id]
    stored = world.uow.store.tasks[task.task_id]
    assert stored.status is TaskStatus.FAILED and stored.attempts == 2


async def test_an_outage_never_fails_the_task_and_goes_up_to_the_runner(world: World) -> None:
    """Finding 2: an outage is not a poison message, even on the delivery SQS would dead-letter."""
    await world.store(who(Scope.INGEST), 2)
    (message,) = await world.receive()
    world.index.down = True
    last = QueueMessage(body=message.body, receipt="r-last", receive_count=3)
    with pytest.raises(DependencyUnavailable):
        await world.worker.execute([last])
    (task,) = world.uow.store.tasks.values()
    assert task.status is TaskStatus.PENDING
    assert (task.error_msg or "").startswith("waiting for opensearch")
    world.index.down = False
    outcome = await world.worker.execute([QueueMessage(body=message.body, receipt="r-next", receive_count=4)])
    assert outcome.indexed == 2 and world.uow.store.tasks[task.task_id].status is TaskStatus.SUCCEEDED


async def test_range_reindex_walks_in_batches_and_resumes(world: World) -> None:
    tenant = who(Scope.INGEST)
    await world.store(tenant, 10)
    await world.receive()  # drop the ingest-time announcements
    task = AsyncTask(task_id=uuid4(), tenant_id=tenant.tenant_id, task_type=TaskType.REINDEX, payload={"mode": "range"})
    world.uow.store.tasks[task.task_id] = task
    message = QueueMessage(body=task_message(task), receipt="r1", receive_count=1)
    outcome = await world.worker.execute([message])
    assert outcome.indexed == 10 and len(world.index.docs) == 10
    assert world.index.bulk_calls == 3  # batches of 4, 4, 2
    assert world.queue.extended == ["r1", "r1", "r1"]  # visibility kept while working
    assert world.uow.store.tasks[task.task_id].result["indexed"] == 10


async def test_a_task_indexes_its_own_commit_not_its_neighbours(world: World) -> None:
    tenant = who(Scope.INGEST)
    await world.store(tenant, 3)
    await world.store(tenant, 2)  # a second commit of the same tenant, in the same time range
    messages = await world.receive()
    first, second = (world.uow.store.tasks[UUID(m.body["task_id"])] for m in messages)
    assert "log_ids" not in first.payload and first.payload["count"] == 3
    outcome = await world.worker.execute(messages[:1])
    assert outcome.indexed == 3
    assert set(world.index.docs) == set(world.uow.store.commit_order[0][1])
    assert world.uow.store.tasks[first.task_id].result == {"indexed": 3, "missing": 0}
    assert world.uow.store.tasks[second.task_id].status is TaskStatus.PENDING


async def test_a_task_whose_commit_entry_is_gone_indexes_its_id_span(world: World) -> None:
    """The commit order is kept for a day; a task that waited longer (search was down) still gets
    its events indexed: the tenant's events with ids in its span and times in its range, not the
    whole range (a later commit's events there, or the other tenant's, are not its own)."""
    tenant = who(Scope.INGEST)

    async def commit(principal: Principal, n: int) -> None:
        # Microseconds in every timestamp: the range's bounds must keep them.
        items = [LogDraft(message=f"m{i}", timestamp=NOW - timedelta(seconds=i, microseconds=7)) for i in range(n)]
        await world.ingest.execute(IngestRequest(principal=principal, items=items))
        await world.writer.close()

    await commit(tenant, 3)
    (message,) = await world.receive()
    own = set(world.uow.store.commit_order[0][1])
    await commit(tenant, 2)  # the same tenant, in the same time range, with later ids
    await commit(who(Scope.INGEST, tenant=None), 2)  # another tenant
    await world.receive()
    world.uow.store.commit_order.clear()  # the maintenance worker dropped every entry
    outcome = await world.worker.execute([message])
    assert outcome.indexed == 3 and set(world.index.docs) == own
    task = world.uow.store.tasks[UUID(message.body["task_id"])]
    assert task.status is TaskStatus.SUCCEEDED
    assert task.result == {"indexed": 3, "missing": 0, "commit_expired": True}


async def test_tasks_that_list_their_ids_are_still_indexed(world: World) -> None:
    """Reindex tasks written before tasks named their commit list their ids."""
    tenant = who(Scope.INGEST)
    await world.store(tenant, 4)
    await world.receive()
    ids = sorted(world.uow.store.logs)[:2]
    payload = {"log_ids": [str(i) for i in ids], "count": 2}
    task = AsyncTask(task_id=uuid4(), tenant_id=tenant.tenant_id, task_type=TaskType.REINDEX, payload=payload)
    world.uow.store.tasks[task.task_id] = task
    outcome = await world.worker.execute([QueueMessage(body=task_message(task), receipt="r1", receive_count=1)])
    assert outcome.indexed == 2 and set(world.index.docs) == set(ids)


@pytest.mark.parametrize(
    "payload",
    [
        {
            "commit": {"lowest": "not-a-uuid", "highest": str(uuid4())},
            "from": AT,
            "to": AT,
        },
        {"commit": "x", "from": AT, "to": AT},
        {"commit": {"lowest": str(uuid4()), "highest": str(uuid4())}, "to": AT},
        {"commit": {"lowest": str(uuid4()), "highest": str(uuid4())}, "from": "soon", "to": AT},
    ],
)
async def test_a_bad_commit_payload_fails_the_task_without_indexing(world: World, payload: dict[str, Any]) -> None:
    tenant = who(Scope.INGEST)
    await world.store(tenant, 2)
    await world.receive()
    task = AsyncTask(task_id=uuid4(), tenant_id=tenant.tenant_id, task_type=TaskType.REINDEX, payload=payload)
    world.uow.store.tasks[task.task_id] = task
    outcome = await world.worker.execute([QueueMessage(body=task_message(task), receipt="r1", receive_count=3)])
    assert outcome.failed == [task.task_id] and outcome.indexed == 0 and not world.index.docs
    assert (world.uow.store.tasks[task.task_id].error_msg or "").startswith("invalid_payload")


async def test_relay_publishes_stale_pending_tasks(world: World) -> None:
    stale = [AsyncTask(task_id=uuid4(), tenant_id=uuid4(), task_type=TaskType.REINDEX) for _ in range(3)]

    class Store(OutboxStore):
        def __init__(self) -> None:
            self.rounds = [stale, []]

        async def take_stale_pending(self, **_: object) -> list[AsyncTask]:
            return self.rounds.pop(0)

        async def mark_published(self, *, task_ids: Sequence[UUID]) -> None:
            self.published = list(task_ids)

        async def note_waiting(self, *, task_ids: Sequence[UUID], note: str) -> None:
            raise AssertionError("not expected")

        async def unfinished(self, *, after: UUID | None, limit: int) -> list[AsyncTask]:
            raise AssertionError("not expected")

    store = Store()
    relay = RelayOutbox(
        store,
        PublishTasks(world.queue, store),
        types=frozenset({TaskType.REINDEX}),
        stale_after=timedelta(seconds=1),
        batch=3,
    )
    assert await relay.execute() == 3
    assert store.published == [t.task_id for t in stale]
    assert [m["task_id"] for m in world.queue.sent["index"]] == [str(t.task_id) for t in stale]


async def test_publish_failure_after_commit_keeps_the_task_pending(world: World) -> None:
    world.queue.down = True
    await world.store(who(Scope.INGEST), 1)
    (task,) = world.uow.store.tasks.values()
    assert task.status is TaskStatus.PENDING and world.queue.sent == {}


async def test_search_falls_back_to_postgres_for_filters_and_text(world: World) -> None:
    # PostgreSQL now answers the whole filter language the same way (tests/integration/querylang).
    tenant = who(Scope.INGEST, Scope.READ)
    await world.store(tenant, 3)
    search = SearchLogs(world.index, world.uow)
    world.index.down = True
    page, source = await search.execute(principal=tenant, query=LogQuery())
    assert source == "postgres" and page.total == 3
    _, source = await search.execute(principal=tenant, query=LogQuery(text=parse_text_query("m1")))
    assert source == "postgres"


def test_cursor_round_trip_and_tamper() -> None:
    cursor = Cursor(NOW, uuid4())
    assert Cursor.decode(cursor.encode()) == cursor
    with pytest.raises(InvalidInput):
        Cursor.decode("not-a-cursor")


def test_page_depth_is_bounded() -> None:
    with pytest.raises(InvalidInput):
        LogQuery(page=101, page_size=100).check()
    LogQuery(page=1000, page_size=100, use_cursor=True).check()


async def test_committed_events_reach_a_listening_tenant_only(world: World) -> None:
    watched, unwatched = who(Scope.INGEST), who(Scope.INGEST)
    seen: list[list[dict[str, Any]]] = []
    await world.bus.subscribe(tenant_id=watched.tenant_id, deliver=seen.append)
    published: list[UUID] = []
    publish = world.bus.publish

    async def spy(*, tenant_id: UUID, events: Any) -> None:
        published.append(tenant_id)
        await publish(tenant_id=tenant_id, events=events)

    world.bus.publish = spy  # type: ignore[method-assign]
    await world.store(unwatched, 2)
    await world.store(watched, 3)
    # Nobody listens to the second tenant: its events are not even built into stream messages.
    assert published == [watched.tenant_id]
    assert [len(batch) for batch in seen] == [3] and {e["message"] for e in seen[0]} == {"m0", "m1", "m2"}
