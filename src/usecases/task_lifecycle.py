"""The life cycle every queued task goes through in a worker, shared by all workers.

    message ──start──▶ running ──finish──▶ succeeded
                          │
                          ├──fail──▶ pending (SQS redelivers) … failed on the last delivery (→ DLQ)
                          └──fail, a dependency is down──▶ pending, "waiting for <dependency>",
                                 never failed for it; DependencyUnavailable goes up to the task runner

A message for a task that already finished (succeeded, or failed for good) is acknowledged and
skipped, which makes SQS's at-least-once delivery effectively-once; a stray copy of the message
(the relay re-sending a task a worker was about to take) cannot run a failed task again. An outage
is not the task's fault: the runner (`workers/task_runner.py`) stops receiving, backs the message
off and probes the dependency instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from src.domain.errors import DependencyUnavailable, DomainError
from src.domain.ports.task_queue import QueueMessage
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType

logger = logging.getLogger(__name__)


class TaskRefused(DomainError):
    """Raised by a task's work when retrying cannot help (its input is wrong, or what it needs is
    gone for good): the task fails at once, with this message, and its message is acknowledged."""

    code = "task_refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a task's work may answer instead of a bare result: how it ended (`FAILED` here is for
    good: no retry, the message is acknowledged) and the tasks it leads to, created in the same
    transaction that records the outcome and announced after it commits."""

    result: dict[str, Any]
    status: TaskStatus = TaskStatus.SUCCEEDED
    error: str | None = None
    follow_up: tuple[AsyncTask, ...] = ()


# A task's work: given the claimed task (and its message, to keep it invisible while working), do it
# and answer its result (or an Outcome); raise to fail it.
Work = Callable[[AsyncTask, QueueMessage], Awaitable[dict[str, Any] | Outcome]]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A task this worker claimed, with the message that brought it."""

    task: AsyncTask
    message: QueueMessage


@dataclass(frozen=True, slots=True)
class Failed:
    """A batch work's answer for one task that failed (that one only): what the tenant reads, and why."""

    error: str
    cause: BaseException | None = None


# Work on many claimed tasks at once (one bulk request for a whole receive): a result or Failed per
# task id; raising fails them all.
BatchWork = Callable[[list[Claimed]], Awaitable[dict[UUID, dict[str, Any] | Failed]]]


@dataclass(slots=True)
class BatchRecord:
    """What `run_batch` recorded: the receipts to acknowledge, and each task's fate."""

    receipts: list[str]
    succeeded: list[UUID]
    retrying: list[UUID]
    failed: list[UUID]


# Announces committed tasks on their queues (PublishTasks.after_commit: never raises).
Announce = Callable[[Sequence[AsyncTask]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Started:
    """What `start` decided: run `task`, or just acknowledge the message (`task` is None)."""

    task: AsyncTask | None
    ack: bool


class TaskLifecycle:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, *, max_receive_count: int, announce: Announce | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._max_receive_count = max_receive_count
        self._announce = announce

    async def start(self, message: QueueMessage, accepts: frozenset[TaskType]) -> Started:
        try:
            task_id = UUID(str(message.body["task_id"]))
            tenant_id = UUID(str(message.body["tenant_id"]))
        except (KeyError, ValueError):
            # Not ours to understand: left unacknowledged, it ends in the dead-letter queue.
            logger.error("unreadable task message %s", str(message.body)[:200])
            return Started(None, ack=False)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            task = await uow.tasks.start(tenant_id=tenant_id, task_id=task_id)
            if task is None:
                if await uow.tasks.get(tenant_id=tenant_id, task_id=task_id) is None:
                    logger.warning("message for unknown task %s acknowledged", task_id)
                return Started(None, ack=True)
            await uow.commit()
        if task.task_type not in accepts:
            await self.finish(task, TaskStatus.FAILED, error=f"this worker cannot run {task.task_type} tasks")
            return Started(None, ack=True)
        return Started(task, ack=False)

    async def run(
        self, message: QueueMessage, accepts: frozenset[TaskType], work: Work, *, what: str | Callable[[], str]
    ) -> bool:
        """The template every per-message use case runs on: claim → work → record; True to acknowledge.

        A failure is recorded by `fail` (an outage goes up to the task runner, which backs off);
        TaskRefused fails the task at once. `what` names the stage in the failure text (a callable
        is asked at failure time, e.g. to say how far the work got)."""
        started = await self.start(message, accepts)
        if started.task is None:
            return started.ack
        task = started.task
        try:
            result = await work(task, message)
        except TaskRefused as e:
            await self.finish(task, TaskStatus.FAILED, error=e.message)
            return True
        except Exception as e:
            await self.fail(task, message, failure_text(what if isinstance(what, str) else what(), e), cause=e)
            return False
        outcome = result if isinstance(result, Outcome) else Outcome(result=result)
        await self.finish(task, outcome.status, result=outcome.result, error=outcome.error, follow_up=outcome.follow_up)
        return True

    async def run_batch(
        self, messages: Sequence[QueueMessage], accepts: frozenset[TaskType], work: BatchWork, *, what: str
    ) -> BatchRecord:
        """The same template for a whole receive: claim each → work on all at once → record each;
        answers the receipts to acknowledge. A dependency outage (raised, or as a task's cause) is
        recorded as waiting on every task it hit and then goes up to the task runner; what finished
        before it is recorded, and its message, redelivered, is skipped."""
        record = BatchRecord(receipts=[], succeeded=[], retrying=[], failed=[])
        claimed: list[Claimed] = []
        for message in messages:
            started = await self.start(message, accepts)
            if started.task is not None:
                claimed.append(Claimed(started.task, message))
            elif started.ack:
                record.receipts.append(message.receipt)
        if not claimed:
            return record
        try:
            outcomes = await work(claimed)
        except Exception as e:
            outcomes = {c.task.task_id: Failed(failure_text(what, e), e) for c in claimed}
        outage: DependencyUnavailable | None = None
        for c in claimed:
            outcome = outcomes.get(c.task.task_id) or Failed(f"internal_error: the {what} gave no outcome")
            if isinstance(outcome, Failed):
                if isinstance(outcome.cause, TaskRefused):
                    await self.finish(c.task, TaskStatus.FAILED, error=outcome.error)
                    record.receipts.append(c.message.receipt)
                    record.failed.append(c.task.task_id)
                    continue
                last = await self.record_failure(c.task, c.message, outcome.error, cause=outcome.cause)
                (record.failed if last else record.retrying).append(c.task.task_id)
                if isinstance(outcome.cause, DependencyUnavailable):
                    outage = outage or outcome.cause
                continue
            await self.finish(c.task, TaskStatus.SUCCEEDED, result=outcome)
            record.receipts.append(c.message.receipt)
            record.succeeded.append(c.task.task_id)
        if outage is not None:
            raise outage
        return record

    async def finish(
        self,
        task: AsyncTask,
        status: TaskStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        follow_up: Sequence[AsyncTask] = (),
    ) -> None:
        """Record how the task ended, with the tasks it leads to in the same transaction (the
        outbox), then announce those."""
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(task.tenant_id)
            await uow.tasks.finish(
                tenant_id=task.tenant_id, task_id=task.task_id, status=status, result=result, error_msg=error
            )
            if follow_up:
                await uow.tasks.add_many(tasks=list(follow_up))
            await uow.commit()
        if follow_up:
            assert self._announce is not None, "a task with follow-up tasks needs a way to announce them"
            await self._announce(list(follow_up))

    async def progress(self, task: AsyncTask, result: dict[str, Any]) -> None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(task.tenant_id)
            await uow.tasks.record_progress(tenant_id=task.tenant_id, task_id=task.task_id, result=result)
            await uow.commit()

    async def record_failure(
        self, task: AsyncTask, message: QueueMessage, error: str, *, cause: BaseException | None = None
    ) -> bool:
        """Record the failure; True when this was the last delivery (the task is now `failed`).

        `error` is what the tenant reads (see `failure_text`); `cause` goes to the log only.
        A failure caused by a dependency outage never fails the task: it stays pending and says
        what it waits for (the delivery budget is for poison messages, not outages)."""
        if isinstance(cause, DependencyUnavailable):
            dependency = (
                (cause.details or {}).get("dependency", "a dependency")
                if isinstance(cause.details, dict)
                else "a dependency"
            )
            await self.finish(task, TaskStatus.PENDING, error=f"waiting for {dependency}: {error}")
            logger.warning("%s task %s waits for %s: %s", task.task_type, task.task_id, dependency, error)
            return False
        last = message.receive_count >= self._max_receive_count
        await self.finish(task, TaskStatus.FAILED if last else TaskStatus.PENDING, error=error)
        logger.warning(
            "%s task %s failed (attempt %d): %s",
            task.task_type,
            task.task_id,
            task.attempts,
            error,
            exc_info=cause,
        )
        return last

    async def fail(
        self, task: AsyncTask, message: QueueMessage, error: str, *, cause: BaseException | None = None
    ) -> bool:
        """`record_failure`, then hand a dependency outage up to the task runner."""
        last = await self.record_failure(task, message, error, cause=cause)
        if isinstance(cause, DependencyUnavailable):
            raise cause
        return last


def failure_text(stage: str, error: BaseException) -> str:
    """A task's `error_msg`: a stable code and one sentence. Our own errors say what went wrong;
    anything else (a driver's text may quote SQL, parameters, event bodies) is only logged."""
    if isinstance(error, DomainError):
        return f"{error.code}: the {stage} failed: {error.message}"
    return f"internal_error: the {stage} failed on the server side; the error was logged and the task is retried"
