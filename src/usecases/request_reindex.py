"""Use case: the platform admin asks for a slice of the search index to be rebuilt from PostgreSQL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from src.domain.errors import InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskType
from src.domain.wire import rfc3339
from src.usecases.publish_tasks import PublishTasks

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReindexRequest:
    tenant_id: UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


class RequestReindex:
    """Rules: one `reindex` task per tenant concerned (all tenants when none is named), committed
    before it is published; publishing may fail without loss (the relay takes over)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, publish: PublishTasks) -> None:
        self._uow_factory = uow_factory
        self._publish = publish

    async def execute(self, request: ReindexRequest) -> list[AsyncTask]:
        if request.start and request.end and request.start > request.end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})
        payload = {
            "mode": "range",
            "from": rfc3339(request.start) if request.start else None,
            "to": rfc3339(request.end) if request.end else None,
        }
        async with self._uow_factory() as uow:
            if request.tenant_id is not None:
                if await uow.tenants.get(tenant_id=request.tenant_id) is None:
                    raise NotFound("no such tenant", details={"tenant_id": str(request.tenant_id)})
                tenant_ids = [request.tenant_id]
            else:
                tenant_ids = [t.id for t in await uow.tenants.list()]
            tasks = [
                AsyncTask(
                    task_id=new_id(), tenant_id=t, task_type=TaskType.REINDEX, user_id="platform-admin", payload=payload
                )
                for t in tenant_ids
            ]
            for task in tasks:
                await uow.act_as_tenant(task.tenant_id)
                await uow.tasks.add_many(tasks=[task])
            await uow.commit()
        return await self._publish.after_commit(tasks)
