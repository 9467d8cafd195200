"""Use case: the index worker's step — turn `reindex` task messages into indexed documents."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.errors import DependencyUnavailable
from src.domain.logs import LogEvent
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.query import Cursor
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskStatus, TaskType
from src.usecases.mine_patterns import MinePatterns
from src.usecases.task_lifecycle import TaskLifecycle, failure_text

logger = logging.getLogger(__name__)

QUEUE = QUEUE_FOR[TaskType.REINDEX]


@dataclass(slots=True)
class BatchOutcome:
    acked: int = 0
    indexed: int = 0
    succeeded: list[UUID] = field(default_factory=list)
    retrying: list[UUID] = field(default_factory=list)
    failed: list[UUID] = field(default_factory=list)


@dataclass(slots=True)
class _Work:
    message: QueueMessage
    task: AsyncTask


class IndexTasks:
    """Rules:
    - a task already `succeeded` is acknowledged and skipped (at-least-once made effectively-once);
    - documents are written with the log id as `_id`, so a retry cannot duplicate;
    - the tasks of one receive are indexed in one bulk request;
    - a failure records the error and attempts and leaves the message for SQS to redeliver; on the
      last delivery SQS allows (`max_receive_count`) the task is marked `failed` (the message then
      goes to the dead-letter queue);
    - a range task (admin reindex) walks PostgreSQL in bounded batches, saving its position, so a
      retry resumes where it stopped;
    - with `mine` set, events are mined (pattern ids, error groups) before they are indexed, so the
      search document carries the `pattern_id` PostgreSQL has; events mined before are not mined again.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        index: SearchIndex,
        queue: TaskQueue,
        *,
        max_receive_count: int = 5,
        range_batch: int = 2000,
        visibility_seconds: int = 120,
        mine: MinePatterns | None = None,
    ) -> None:
        self._mine = mine
        self._uow_factory = uow_factory
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._index = index
        self._queue = queue
        self._range_batch = range_batch
        self._visibility = visibility_seconds

    async def execute(self, messages: Sequence[QueueMessage]) -> BatchOutcome:
        outcome = BatchOutcome()
        to_ack: list[str] = []
        by_ids: list[_Work] = []
        try:
            for message in messages:
                work = await self._start(message, to_ack)
                if work is None:
                    continue
                if work.task.payload.get("mode") == "range":
                    await self._run_range(work, outcome, to_ack)
                else:
                    by_ids.append(work)
            if by_ids:
                await self._run_by_ids(by_ids, outcome, to_ack)
        finally:
            # Even when a dependency outage cuts the batch short, what is done is acknowledged.
            if to_ack:
                try:
                    await self._queue.ack(queue=QUEUE, receipts=to_ack)
                except Exception as e:
                    logger.warning(
                        "acknowledging %d messages failed (they come back and are skipped): %s", len(to_ack), e
                    )
        outcome.acked = len(to_ack)
        return outcome

    async def _start(self, message: QueueMessage, to_ack: list[str]) -> _Work | None:
        started = await self._life.start(message, frozenset({TaskType.REINDEX}))
        if started.ack:
            to_ack.append(message.receipt)
        return _Work(message, started.task) if started.task is not None else None

    async def _finish(
        self, task: AsyncTask, status: TaskStatus, *, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        await self._life.finish(task, status, result=result, error=error)

    async def _fail(
        self, work: _Work, error: str, outcome: BatchOutcome, *, cause: BaseException | None = None
    ) -> None:
        last = await self._life.record_failure(work.task, work.message, error, cause=cause)
        (outcome.failed if last else outcome.retrying).append(work.task.task_id)

    async def _run_by_ids(self, batch: list[_Work], outcome: BatchOutcome, to_ack: list[str]) -> None:
        events: list[LogEvent] = []
        loaded: list[tuple[_Work, int, int]] = []
        for work in batch:
            try:
                ids = [UUID(i) for i in work.task.payload.get("log_ids", [])]
            except (TypeError, ValueError):
                await self._fail(work, "invalid_payload: the task payload holds a bad log id", outcome)
                continue
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(work.task.tenant_id)
                found = await uow.reader.get_many(tenant_id=work.task.tenant_id, ids=ids)
            events += found
            loaded.append((work, len(found), len(ids) - len(found)))
        try:
            if self._mine is not None:
                events = await self._mine.execute(events)
            report = await self._index.index(events)
            if report.failed:
                raise RuntimeError(f"{report.failed} documents were refused: {'; '.join(report.errors[:3])}")
        except Exception as e:
            for work, _, _ in loaded:
                await self._fail(work, failure_text("indexing", e), outcome, cause=e)
            if isinstance(e, DependencyUnavailable):
                raise
            return
        for work, indexed, missing in loaded:
            # Missing rows were deleted (cleanup) before indexing ran: nothing to index for them.
            await self._finish(work.task, TaskStatus.SUCCEEDED, result={"indexed": indexed, "missing": missing})
            to_ack.append(work.message.receipt)
            outcome.succeeded.append(work.task.task_id)
            outcome.indexed += indexed

    async def _run_range(self, work: _Work, outcome: BatchOutcome, to_ack: list[str]) -> None:
        task = work.task
        payload = task.payload
        start = datetime.fromisoformat(payload["from"]) if payload.get("from") else None
        end = datetime.fromisoformat(payload["to"]) if payload.get("to") else None
        position = task.result.get("cursor")
        after = Cursor.decode(position) if position else None
        done = int(task.result.get("indexed", 0))
        try:
            while True:
                async with self._uow_factory() as uow:
                    await uow.act_as_tenant(task.tenant_id)
                    batch = await uow.reader.scan(
                        tenant_id=task.tenant_id, start=start, end=end, after=after, limit=self._range_batch
                    )
                if not batch:
                    break
                if self._mine is not None:
                    batch = await self._mine.execute(batch)
                report = await self._index.index(batch)
                if report.failed:
                    raise RuntimeError(f"{report.failed} documents were refused: {'; '.join(report.errors[:3])}")
                done += report.indexed
                after = Cursor(batch[-1].timestamp, batch[-1].id)
                async with self._uow_factory() as uow:
                    await uow.act_as_tenant(task.tenant_id)
                    await uow.tasks.record_progress(
                        tenant_id=task.tenant_id,
                        task_id=task.task_id,
                        result={"indexed": done, "cursor": after.encode()},
                    )
                    await uow.commit()
                await self._queue.extend(queue=QUEUE, receipt=work.message.receipt, seconds=self._visibility)
        except Exception as e:
            await self._fail(work, failure_text(f"reindex (after {done} events)", e), outcome, cause=e)
            if isinstance(e, DependencyUnavailable):
                raise
            return
        await self._finish(task, TaskStatus.SUCCEEDED, result={"indexed": done, "cursor": None})
        to_ack.append(work.message.receipt)
        outcome.succeeded.append(task.task_id)
        outcome.indexed += done
