"""Use case: the index worker's step — turn `reindex` task messages into indexed documents."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.commit_order import CommitSpan
from src.domain.errors import DependencyUnavailable
from src.domain.logs import LogEvent
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.query import Cursor
from src.domain.tasks import QUEUE_FOR, TaskType
from src.usecases.mine_patterns import MinePatterns
from src.usecases.task_lifecycle import Claimed, Failed, TaskLifecycle, failure_text

logger = logging.getLogger(__name__)

QUEUE = QUEUE_FOR[TaskType.REINDEX]


@dataclass(slots=True)
class BatchOutcome:
    receipts: list[str] = field(default_factory=list)  # to acknowledge (the task runner does)
    indexed: int = 0
    succeeded: list[UUID] = field(default_factory=list)
    retrying: list[UUID] = field(default_factory=list)
    failed: list[UUID] = field(default_factory=list)


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
        """A whole receive on the task template (claim each → index all → record each); the
        receipts it answers are acknowledged by the task runner."""
        outcome = BatchOutcome()

        async def work(claimed: list[Claimed]) -> dict[UUID, dict[str, Any] | Failed]:
            results: dict[UUID, dict[str, Any] | Failed] = {}
            by_ids: list[Claimed] = []
            for c in claimed:
                if c.task.payload.get("mode") == "range":
                    results[c.task.task_id] = await self._run_range(c)
                else:
                    by_ids.append(c)
            if by_ids:
                results.update(await self._run_by_ids(by_ids))
            outcome.indexed = sum(int(r.get("indexed", 0)) for r in results.values() if isinstance(r, dict))
            return results

        record = await self._life.run_batch(messages, frozenset({TaskType.REINDEX}), work, what="indexing")
        outcome.receipts = record.receipts
        outcome.succeeded, outcome.retrying, outcome.failed = record.succeeded, record.retrying, record.failed
        return outcome

    async def _run_by_ids(self, batch: list[Claimed]) -> dict[UUID, dict[str, Any] | Failed]:
        """One bulk request for every task's events; a refusal or an outage fails all of them."""
        results: dict[UUID, dict[str, Any] | Failed] = {}
        events: list[LogEvent] = []
        loaded: list[tuple[Claimed, dict[str, Any]]] = []
        for c in batch:
            tenant_id = c.task.tenant_id
            try:
                wanted = _wanted(c.task.payload)
            except ValueError as e:
                results[c.task.task_id] = Failed(f"invalid_payload: {e}")
                continue
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                if isinstance(wanted, list):
                    ids: list[UUID] | None = wanted
                else:
                    ids = await uow.commit_order.log_ids(tenant_id=tenant_id, span=wanted.span)
                if ids is not None:
                    found = await uow.reader.get_many(tenant_id=tenant_id, ids=ids)
                    # Missing rows were deleted (cleanup) before indexing ran: nothing to index for them.
                    outcome: dict[str, Any] = {"indexed": len(found), "missing": len(ids) - len(found)}
                else:
                    # The commit order's entry is past its retention (the task waited a day: search
                    # was down). Its events are the tenant's with ids in the span and times in
                    # `from`..`to`; the few others found there are rewritten as they are (a document
                    # is keyed by its id).
                    assert isinstance(wanted, _NamedCommit)
                    found = await uow.reader.in_id_span(
                        tenant_id=tenant_id,
                        lowest=wanted.span.lowest,
                        highest=wanted.span.highest,
                        start=wanted.start,
                        end=wanted.end,
                    )
                    outcome = {"indexed": len(found), "missing": 0, "commit_expired": True}
            events += found
            loaded.append((c, outcome))
        try:
            if self._mine is not None:
                events = await self._mine.execute(events)
            report = await self._index.index(events)
            if report.failed:
                raise RuntimeError(f"{report.failed} documents were refused: {'; '.join(report.errors[:3])}")
        except Exception as e:
            # Every task of the bulk request shares its fate (an outage, too: the template then
            # hands it up to the task runner once each is recorded as waiting).
            for c, _ in loaded:
                results[c.task.task_id] = Failed(failure_text("indexing", e), e)
            return results
        for c, outcome in loaded:
            results[c.task.task_id] = outcome
        return results

    async def _run_range(self, claimed: Claimed) -> dict[str, Any] | Failed:
        """An admin reindex: PostgreSQL in bounded batches, its position saved after each, so a
        retry resumes where it stopped. An outage raises (the whole receive waits for it)."""
        task = claimed.task
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
                await self._life.progress(task, {"indexed": done, "cursor": after.encode()})
                await self._queue.extend(queue=QUEUE, receipt=claimed.message.receipt, seconds=self._visibility)
        except DependencyUnavailable:
            raise
        except Exception as e:
            return Failed(failure_text(f"reindex (after {done} events)", e), e)
        return {"indexed": done, "cursor": None}


@dataclass(frozen=True, slots=True)
class _NamedCommit:
    """A group commit's task: its commit, and its events' time range (`from`, `to`: what bounds the
    read once the commit's entry is gone)."""

    span: CommitSpan
    start: datetime
    end: datetime


def _wanted(payload: dict[str, Any]) -> _NamedCommit | list[UUID]:
    """What a task indexes: the commit it names, or (tasks written before they named their commit)
    the ids it lists. Raises ValueError, saying what is wrong, for a payload that holds neither."""
    if "commit" not in payload:
        try:
            return [UUID(i) for i in payload.get("log_ids", [])]
        except (TypeError, ValueError) as e:
            raise ValueError("the task payload holds a bad log id") from e
    bounds: list[datetime] = []
    for name in ("from", "to"):
        value = payload.get(name)
        try:
            if not isinstance(value, str):
                raise TypeError(name)
            bounds.append(datetime.fromisoformat(value))
        except (TypeError, ValueError) as e:
            raise ValueError(f"the task payload's `{name}` is not a time: {value!r}") from e
    return _NamedCommit(CommitSpan.from_payload(payload["commit"]), bounds[0], bounds[1])
