"""The life cycle every queued task goes through in a worker, shared by all workers.

    message ──start──▶ running ──finish──▶ succeeded
                          │
                          └──fail──▶ pending (SQS redelivers) … failed on the last delivery (→ DLQ)

A message for a task that already finished (succeeded, or failed for good) is acknowledged and
skipped, which makes SQS's at-least-once delivery effectively-once; a stray copy of the message
(the relay re-sending a task a worker was about to take) cannot run a failed task again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from src.domain.errors import DomainError
from src.domain.ports.task_queue import QueueMessage
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Started:
    """What `start` decided: run `task`, or just acknowledge the message (`task` is None)."""

    task: AsyncTask | None
    ack: bool


class TaskLifecycle:
    def __init__(self, uow_factory: UnitOfWorkFactory, *, max_receive_count: int) -> None:
        self._uow_factory = uow_factory
        self._max_receive_count = max_receive_count

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

    async def finish(
        self, task: AsyncTask, status: TaskStatus, *, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(task.tenant_id)
            await uow.tasks.finish(
                tenant_id=task.tenant_id, task_id=task.task_id, status=status, result=result, error_msg=error
            )
            await uow.commit()

    async def progress(self, task: AsyncTask, result: dict[str, Any]) -> None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(task.tenant_id)
            await uow.tasks.record_progress(tenant_id=task.tenant_id, task_id=task.task_id, result=result)
            await uow.commit()

    async def fail(
        self, task: AsyncTask, message: QueueMessage, error: str, *, cause: BaseException | None = None
    ) -> bool:
        """Record the failure; True when this was the last delivery (the task is now `failed`).

        `error` is what the tenant reads (see `failure_text`); `cause` goes to the log only."""
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


def failure_text(stage: str, error: BaseException) -> str:
    """A task's `error_msg`: a stable code and one sentence. Our own errors say what went wrong;
    anything else (a driver's text may quote SQL, parameters, event bodies) is only logged."""
    if isinstance(error, DomainError):
        return f"{error.code}: the {stage} failed: {error.message}"
    return f"internal_error: the {stage} failed on the server side; the error was logged and the task is retried"
