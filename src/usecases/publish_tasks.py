"""Use case: announce committed tasks on their queues; and the relay that re-announces stragglers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from src.domain.logs import public_view
from src.domain.ports.event_bus import EventBus
from src.domain.ports.outbox import OutboxStore
from src.domain.ports.task_queue import TaskQueue
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskType, task_message
from src.usecases.group_commit import Committed

logger = logging.getLogger(__name__)


class PublishTasks:
    """Rules: publish only after the task's transaction committed; a failure here loses nothing,
    since the task row stays `pending` and the relay publishes it later."""

    def __init__(self, queue: TaskQueue) -> None:
        self._queue = queue

    async def execute(self, tasks: Sequence[AsyncTask]) -> int:
        by_queue: dict[str, list[AsyncTask]] = {}
        for task in tasks:
            by_queue.setdefault(QUEUE_FOR[task.task_type], []).append(task)
        sent = 0
        for queue, items in by_queue.items():
            await self._queue.publish(queue=queue, bodies=[task_message(t) for t in items])
            sent += len(items)
        return sent


class AnnounceCommitted:
    """After a group commit: tasks to their queues, events to the live stream. Either may fail
    without loss — the task stays pending for the relay; a live client resumes with `since_id`."""

    def __init__(self, publish: PublishTasks, bus: EventBus) -> None:
        self._publish = publish
        self._bus = bus

    async def execute(self, committed: Sequence[Committed]) -> None:
        for share in committed:
            try:
                await self._bus.publish(tenant_id=share.task.tenant_id, events=[public_view(e) for e in share.events])
            except Exception:
                logger.warning("live publish of %d events failed", len(share.events), exc_info=True)
        await self._publish.execute([share.task for share in committed])


class RelayOutbox:
    """Rules: tasks `pending` longer than `stale_after` are published again (at-least-once);
    many relays may run at once, each task is taken by one of them per round."""

    def __init__(
        self,
        store: OutboxStore,
        publish: PublishTasks,
        *,
        types: frozenset[TaskType],
        stale_after: timedelta,
        batch: int = 500,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._publish = publish
        self._types = types
        self._stale_after = stale_after
        self._batch = batch
        self._clock = clock

    async def execute(self) -> int:
        total = 0
        while True:
            tasks = await self._store.take_stale_pending(
                types=self._types, older_than=self._clock() - self._stale_after, limit=self._batch
            )
            if not tasks:
                return total
            total += await self._publish.execute(tasks)
            if len(tasks) < self._batch:
                return total
