"""Read routes served from PostgreSQL: one event by id, the tenant's tasks."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from slowapi import Limiter

from src.domain.logs import LogEvent, public_view
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import LogEventOut, TaskListOut, TaskOut
from src.entrypoints.http.responses import JsonResponse


def log_out(event: LogEvent) -> dict[str, Any]:
    return public_view(event)


def task_out(task: AsyncTask) -> dict[str, Any]:
    # Reindex tasks written before they named their commit list thousands of ids: not shown.
    payload = {k: v for k, v in task.payload.items() if k != "log_ids"}
    return {
        "task_id": task.task_id,
        "task_type": task.task_type.value,
        "status": task.status.value,
        "user_id": task.user_id,
        "payload": payload,
        "result": task.result,
        "error_msg": task.error_msg,
        "attempts": task.attempts,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def reads_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["read"])

    @router.get("/logs/{log_id}", summary="One stored event", response_model=LogEventOut)
    @tenant_limit(limiter, rates)
    async def get_log(request: Request, log_id: UUID, principal: ReadScope, c: ContainerDep) -> JsonResponse:
        return JsonResponse(log_out(await c.get_log.execute(principal=principal, log_id=log_id)))

    @router.get("/tasks/{task_id}", summary="One of the tenant's background tasks", response_model=TaskOut)
    @tenant_limit(limiter, rates)
    async def get_task(request: Request, task_id: UUID, principal: ReadScope, c: ContainerDep) -> JsonResponse:
        return JsonResponse(task_out(await c.get_task.execute(principal=principal, task_id=task_id)))

    @router.get("/tasks", summary="The tenant's background tasks, newest first", response_model=TaskListOut)
    @tenant_limit(limiter, rates)
    async def list_tasks(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        type: TaskType | None = None,
        status: TaskStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JsonResponse:
        tasks = await c.list_tasks.execute(principal=principal, task_type=type, status=status, limit=limit)
        return JsonResponse({"items": [task_out(t) for t in tasks]})

    return router
