"""Use cases: read one stored event, and a tenant's tasks, from the source of truth."""

from __future__ import annotations

from uuid import UUID

from src.domain.credentials import Principal, Scope
from src.domain.errors import NotFound
from src.domain.logs import LogEvent
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType


class GetLog:
    """Rules: `read` scope; another tenant's id is indistinguishable from a missing one (404)."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, log_id: UUID) -> LogEvent:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            event = await uow.logs.get(tenant_id=principal.tenant_id, log_id=log_id)
        if event is None:
            raise NotFound("no such log event", details={"id": str(log_id)})
        return event


class GetTask:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, task_id: UUID) -> AsyncTask:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            task = await uow.tasks.get(tenant_id=principal.tenant_id, task_id=task_id)
        if task is None:
            raise NotFound("no such task", details={"task_id": str(task_id)})
        return task


class ListTasks:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(
        self, *, principal: Principal, task_type: TaskType | None, status: TaskStatus | None, limit: int
    ) -> list[AsyncTask]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.tasks.list(tenant_id=principal.tenant_id, task_type=task_type, status=status, limit=limit)
