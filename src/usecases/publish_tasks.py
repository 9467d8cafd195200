"""Use case: announce committed tasks on their queues; and the relay that re-announces stragglers.

`PublishTasks.after_commit` is the one "commit, then publish" path every use case takes: it never
raises and never waits long, because the task row is already the promise (the outbox) and the relay
publishes whatever it could not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from src.domain.logs import public_view
from src.domain.ports.event_bus import EventBus
from src.domain.ports.outbox import OutboxStore
from src.domain.ports.task_queue import TaskQueue
from src.domain.tasks import QUEUE_FOR, WAITING_FOR_QUEUE, AsyncTask, TaskType, task_message
from src.usecases.group_commit import Committed

logger = logging.getLogger(__name__)


class PublishTasks:
    """Rules: publish only after the task's transaction committed and record that it was published
    (the relay republishes unpublished tasks within seconds); a failed or slow publish loses nothing,
    since the task row stays `pending` and the relay publishes it later."""

    def __init__(self, queue: TaskQueue, outbox: OutboxStore | None = None, *, timeout: float = 1.0) -> None:
        self._queue = queue
        self._outbox = outbox
        self._timeout = timeout

    async def execute(self, tasks: Sequence[AsyncTask]) -> int:
        """Publish and mark published; raises when the queue could not take them."""
        by_queue: dict[str, list[AsyncTask]] = {}
        for task in tasks:
            by_queue.setdefault(QUEUE_FOR[task.task_type], []).append(task)
        sent = 0
        for queue, items in by_queue.items():
            await self._queue.publish(queue=queue, bodies=[task_message(t) for t in items])
            sent += len(items)
            if self._outbox is not None:
                await self._outbox.mark_published(task_ids=[t.task_id for t in items])
        return sent

    async def after_commit(self, tasks: Sequence[AsyncTask]) -> list[AsyncTask]:
        """Publish committed tasks without ever failing the caller; a task that could not be queued
        comes back saying that it waits for the queue (and the row says so too)."""
        if not tasks:
            return []
        try:
            await asyncio.wait_for(self.execute(tasks), timeout=self._timeout)
            return list(tasks)
        except Exception as e:
            reason = "timed out" if isinstance(e, TimeoutError) else str(e)[:200]
            logger.warning("publishing %d task(s) failed (%s); the relay will", len(tasks), reason)
        if self._outbox is not None:
            try:
                await self._outbox.note_waiting(task_ids=[t.task_id for t in tasks], note=WAITING_FOR_QUEUE)
            except Exception as e:
                logger.warning("noting %d task(s) as waiting failed: %s", len(tasks), str(e)[:200])
        return [replace(t, error_msg=WAITING_FOR_QUEUE) for t in tasks]


class AnnounceCommitted:
    """After a group commit: tasks to their queues, events to the live stream. Either may fail
    without loss — the task stays pending for the relay; a live client resumes with `since_id`."""

    def __init__(self, publish: PublishTasks, bus: EventBus) -> None:
        self._publish = publish
        self._bus = bus

    async def execute(self, committed: Sequence[Committed]) -> None:
        try:
            # Asked after the commit, so a client listening when these events committed gets them;
            # a tenant nobody watches costs no public view and no PUBLISH (~3.5 µs an event).
            listened = await self._bus.listened(tenant_ids=[share.task.tenant_id for share in committed])
        except Exception:
            logger.warning("live publish of %d events failed", sum(len(s.events) for s in committed), exc_info=True)
            listened = set()
        for share in committed:
            if share.task.tenant_id not in listened:
                continue
            try:
                await self._bus.publish(tenant_id=share.task.tenant_id, events=[public_view(e) for e in share.events])
            except Exception:
                logger.warning("live publish of %d events failed", len(share.events), exc_info=True)
        await self._publish.after_commit([share.task for share in committed])


class RelayOutbox:
    """Rules: a pending task is published again (at-least-once) when it was never published and is
    older than `unpublished_after` (seconds: a publish lost to a crash or an outage), when it was
    published but not started within `stale_after`, or when it was started and then left untouched
    for `lost_after` (longer than any retry backoff: its message is gone); many relays may run at
    once, each task is taken by one of them per round."""

    def __init__(
        self,
        store: OutboxStore,
        publish: PublishTasks,
        *,
        types: frozenset[TaskType],
        stale_after: timedelta,
        unpublished_after: timedelta = timedelta(seconds=2),
        lost_after: timedelta = timedelta(hours=1),
        batch: int = 500,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._publish = publish
        self._types = types
        self._stale_after = stale_after
        self._unpublished_after = unpublished_after
        self._lost_after = lost_after
        self._batch = batch
        self._clock = clock

    async def execute(self) -> int:
        total = 0
        while True:
            now = self._clock()
            tasks = await self._store.take_stale_pending(
                types=self._types,
                unpublished_before=now - self._unpublished_after,
                older_than=now - self._stale_after,
                lost_before=now - self._lost_after,
                limit=self._batch,
            )
            if not tasks:
                return total
            total += await self._publish.execute(tasks)
            if len(tasks) < self._batch:
                return total


class RepublishUnfinished:
    """Rules: once the task queue has lost its messages (an in-memory queue restarted, as the dev
    stack's moto does), every unfinished task — pending or running — is published again at once,
    not after the relay's staleness thresholds (300 s for a published task, 1 h for a started one)
    nor never (a `running` task whose message vanished with the queue is not the relay's to take).
    A duplicate message is harmless: a finished task's message is acknowledged and skipped."""

    def __init__(self, store: OutboxStore, publish: PublishTasks, *, batch: int = 500) -> None:
        self._store = store
        self._publish = publish
        self._batch = batch

    async def execute(self) -> int:
        total, after = 0, None
        while True:
            tasks = await self._store.unfinished(after=after, limit=self._batch)
            if not tasks:
                return total
            total += await self._publish.execute(tasks)
            after = tasks[-1].task_id
