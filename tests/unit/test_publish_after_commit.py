"""Finding 7: commit, then publish — answers fast while the queue is down or hanging, and says the task waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from src.domain.ports.outbox import OutboxStore
from src.domain.tasks import WAITING_FOR_QUEUE, AsyncTask, TaskType
from src.usecases.publish_tasks import PublishTasks, RepublishUnfinished
from tests.fakes import FakeTaskQueue


class Outbox(OutboxStore):
    def __init__(self, unfinished: Sequence[AsyncTask] = ()) -> None:
        self.published: list[UUID] = []
        self.waiting: dict[UUID, str] = {}
        self._unfinished = sorted(unfinished, key=lambda t: t.task_id)

    async def take_stale_pending(self, **_: object) -> list[AsyncTask]:
        return []

    async def mark_published(self, *, task_ids: Sequence[UUID]) -> None:
        self.published += task_ids

    async def note_waiting(self, *, task_ids: Sequence[UUID], note: str) -> None:
        self.waiting.update(dict.fromkeys(task_ids, note))

    async def unfinished(self, *, after: UUID | None, limit: int) -> list[AsyncTask]:
        return [t for t in self._unfinished if after is None or t.task_id > after][:limit]


class HangingQueue(FakeTaskQueue):
    """A queue endpoint that accepts the connection and never answers (botocore retrying)."""

    async def publish(self, *, queue: str, bodies: Sequence[dict[str, Any]]) -> None:
        await asyncio.sleep(3600)


def _task() -> AsyncTask:
    return AsyncTask(task_id=uuid4(), tenant_id=uuid4(), task_type=TaskType.ARCHIVE)


async def test_published_tasks_are_marked_published() -> None:
    outbox, queue = Outbox(), FakeTaskQueue()
    task = _task()
    (out,) = await PublishTasks(queue, outbox).after_commit([task])
    assert outbox.published == [task.task_id] and out.error_msg is None
    assert queue.sent["archive"][0]["task_id"] == str(task.task_id)


async def test_a_down_queue_leaves_the_task_waiting_and_says_so() -> None:
    outbox, queue = Outbox(), FakeTaskQueue()
    queue.down = True
    task = _task()
    (out,) = await PublishTasks(queue, outbox).after_commit([task])
    assert out.error_msg == WAITING_FOR_QUEUE and outbox.waiting == {task.task_id: WAITING_FOR_QUEUE}
    assert outbox.published == []


async def test_a_hanging_queue_costs_at_most_the_publish_timeout() -> None:
    outbox = Outbox()
    started = time.monotonic()
    (out,) = await PublishTasks(HangingQueue(), outbox, timeout=0.2).after_commit([_task()])
    assert time.monotonic() - started < 2.0  # generous: a busy machine, but nowhere near 3.9 s
    assert out.error_msg == WAITING_FOR_QUEUE


async def test_after_the_queue_lost_its_messages_every_unfinished_task_is_queued_again_in_pages() -> None:
    tasks = [_task() for _ in range(7)]
    outbox, queue = Outbox(tasks), FakeTaskQueue()
    sent = await RepublishUnfinished(outbox, PublishTasks(queue, outbox), batch=3).execute()
    assert sent == 7
    assert sorted(outbox.published) == sorted(t.task_id for t in tasks)
