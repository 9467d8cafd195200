"""Use cases: a tenant admin asks for old logs to be archived and cleaned up, or restored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskType
from src.domain.wire import rfc3339
from src.usecases.audit_trail import audit_entry
from src.usecases.publish_tasks import PublishTasks

logger = logging.getLogger(__name__)

MAX_RESTORE_SPAN = timedelta(days=366)


async def _create_and_publish(
    uow_factory: UnitOfWorkFactory,
    publish: PublishTasks,
    principal: Principal,
    task_type: TaskType,
    payload: dict[str, Any],
) -> AsyncTask:
    task = AsyncTask(
        task_id=new_id(), tenant_id=principal.tenant_id, task_type=task_type, user_id=principal.subject, payload=payload
    )
    async with uow_factory() as uow:
        await uow.act_as_tenant(principal.tenant_id)
        await uow.tasks.add_many(tasks=[task])
        # An admin action: recorded in the same transaction as the task it starts.
        await uow.audit.record(
            entry=audit_entry(
                tenant_id=principal.tenant_id,
                actor=principal.actor,
                action=f"logs.{'cleanup' if task_type is TaskType.ARCHIVE else task_type.value}",
                target=f"task:{task.task_id}",
                details=payload,
            )
        )
        await uow.commit()
    (task,) = await publish.after_commit([task])
    return task


class RequestCleanup:
    """Rules: tenant `admin` scope; `before` must not be in the future; the range is what was
    acknowledged before the request; the archive task commits first and cleanup follows only once
    the archive is written and verified."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        publish: PublishTasks,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._publish = publish
        self._clock = clock

    async def execute(self, *, principal: Principal, before: datetime) -> AsyncTask:
        principal.require(Scope.ADMIN)
        now = self._clock()
        if before > now:
            raise InvalidInput("'before' must not be in the future", details={"field": "before"})
        # The range holds every event acknowledged before this request (the worker waits out the
        # settle window after this moment before reading it).
        payload = {"before": rfc3339(before), "received_before": rfc3339(now)}
        return await _create_and_publish(self._uow_factory, self._publish, principal, TaskType.ARCHIVE, payload)


class RequestRestore:
    """Rules: tenant `admin` scope; `from` before `to`; at most MAX_RESTORE_SPAN at once."""

    def __init__(self, uow_factory: UnitOfWorkFactory, publish: PublishTasks) -> None:
        self._uow_factory = uow_factory
        self._publish = publish

    async def execute(self, *, principal: Principal, start: datetime, end: datetime) -> AsyncTask:
        principal.require(Scope.ADMIN)
        if start >= end:
            raise InvalidInput("'from' must be before 'to'", details={"field": "from"})
        if end - start > MAX_RESTORE_SPAN:
            raise InvalidInput("restore at most 366 days at once", details={"field": "to"})
        return await _create_and_publish(
            self._uow_factory,
            self._publish,
            principal,
            TaskType.RESTORE,
            {"from": rfc3339(start), "to": rfc3339(end)},
        )
