"""Use case: bring dead-lettered messages of unfinished tasks back to their queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from src.domain.ports.task_queue import TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import TaskStatus

logger = logging.getLogger(__name__)


def dead_letter_queue(queue: str) -> str:
    return f"{queue}-dlq"


@dataclass(slots=True)
class RedriveReport:
    redriven: int = 0
    dropped: int = 0
    kept: int = 0


class RedriveDeadLetters:
    """Rules:
    - a dead letter whose task is still pending or running went there because of an outage (or a
      crash loop): it goes back to its queue;
    - one whose task succeeded or failed is deleted (the task row keeps the outcome and the error);
    - one that names no task we know how to read stays in the dead-letter queue for a human;
    - bounded per call (`limit`), so an operator's command and the automatic redrive both finish.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, queue: TaskQueue, *, limit: int = 10_000) -> None:
        self._uow_factory = uow_factory
        self._queue = queue
        self._limit = limit

    async def execute(self, queue: str) -> RedriveReport:
        report = RedriveReport()
        dlq = dead_letter_queue(queue)
        seen = 0
        while seen < self._limit:
            messages = await self._queue.receive(queue=dlq, max_messages=10, wait_seconds=0)
            if not messages:
                break
            seen += len(messages)
            back, done = [], []
            for message in messages:
                status = await self._status(message.body)
                if status in (TaskStatus.PENDING, TaskStatus.RUNNING):
                    back.append(message)
                elif status is not None:
                    done.append(message.receipt)
                else:
                    report.kept += 1
            if back:
                await self._queue.publish(queue=queue, bodies=[m.body for m in back])
                done += [m.receipt for m in back]
                report.redriven += len(back)
            report.dropped += len(done) - len(back)
            if done:
                await self._queue.ack(queue=dlq, receipts=done)
        if report.redriven or report.dropped:
            logger.info(
                "%s: %d dead letters back on the queue, %d of finished tasks deleted, %d kept",
                dlq,
                report.redriven,
                report.dropped,
                report.kept,
            )
        return report

    async def _status(self, body: dict[str, object]) -> TaskStatus | None:
        try:
            task_id, tenant_id = UUID(str(body["task_id"])), UUID(str(body["tenant_id"]))
        except (KeyError, ValueError):
            return None
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            task = await uow.tasks.get(tenant_id=tenant_id, task_id=task_id)
        # A task nobody knows (its tenant was deleted): nothing will ever run it.
        return task.status if task is not None else TaskStatus.FAILED
