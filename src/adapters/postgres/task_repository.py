"""The async_task outbox in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import task_from_row
from src.domain.ports.task_repository import TaskRepository
from src.domain.tasks import AsyncTask, TaskStatus, TaskType

_COLUMNS = (
    "task_id, tenant_id, user_id, task_type, status, payload, result, error_msg, attempts, created_at, updated_at"
)


class PostgresTaskRepository(TaskRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_many(self, *, tasks: Sequence[AsyncTask]) -> None:
        if not tasks:
            return
        await self._conn.execute(
            text(
                "INSERT INTO async_task (task_id, tenant_id, user_id, task_type, status, payload) "
                "VALUES (:task_id, :tenant_id, :user_id, :task_type, :status, CAST(:payload AS jsonb))"
            ),
            [
                {
                    "task_id": t.task_id,
                    "tenant_id": t.tenant_id,
                    "user_id": t.user_id,
                    "task_type": t.task_type.value,
                    "status": t.status.value,
                    "payload": orjson.dumps(t.payload).decode(),
                }
                for t in tasks
            ],
        )

    async def get(self, *, tenant_id: UUID, task_id: UUID) -> AsyncTask | None:
        row = (
            (
                await self._conn.execute(
                    text(f"SELECT {_COLUMNS} FROM async_task WHERE tenant_id = :t AND task_id = :id"),
                    {"t": tenant_id, "id": task_id},
                )
            )
            .mappings()
            .first()
        )
        return task_from_row(row) if row else None

    async def list(
        self,
        *,
        tenant_id: UUID,
        task_type: TaskType | None = None,
        status: TaskStatus | None = None,
        limit: int = 100,
    ) -> list[AsyncTask]:
        sql = f"SELECT {_COLUMNS} FROM async_task WHERE tenant_id = :t"
        params: dict[str, object] = {"t": tenant_id, "limit": limit}
        if task_type is not None:
            sql += " AND task_type = :type"
            params["type"] = task_type.value
        if status is not None:
            sql += " AND status = :status"
            params["status"] = status.value
        rows = (await self._conn.execute(text(sql + " ORDER BY created_at DESC LIMIT :limit"), params)).mappings()
        return [task_from_row(r) for r in rows]

    async def start(self, *, tenant_id: UUID, task_id: UUID) -> AsyncTask | None:
        row = (
            (
                await self._conn.execute(
                    text(
                        "UPDATE async_task SET status = 'running', attempts = attempts + 1, "
                        "started_at = coalesce(started_at, now()), updated_at = now() "
                        "WHERE tenant_id = :t AND task_id = :id AND status NOT IN ('succeeded', 'failed') "
                        f"RETURNING {_COLUMNS}"
                    ),
                    {"t": tenant_id, "id": task_id},
                )
            )
            .mappings()
            .first()
        )
        return task_from_row(row) if row else None

    async def record_progress(self, *, tenant_id: UUID, task_id: UUID, result: dict[str, Any]) -> None:
        await self._conn.execute(
            text(
                "UPDATE async_task SET result = result || CAST(:result AS jsonb), updated_at = now() "
                "WHERE tenant_id = :t AND task_id = :id"
            ),
            {"t": tenant_id, "id": task_id, "result": orjson.dumps(result).decode()},
        )

    async def finish(
        self,
        *,
        tenant_id: UUID,
        task_id: UUID,
        status: TaskStatus,
        result: dict[str, Any] | None = None,
        error_msg: str | None = None,
    ) -> None:
        final = status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED)
        await self._conn.execute(
            text(
                "UPDATE async_task SET status = :status, result = result || CAST(:result AS jsonb), "
                "error_msg = :error, updated_at = now(), "
                "finished_at = CASE WHEN :final THEN now() ELSE finished_at END "
                "WHERE tenant_id = :t AND task_id = :id"
            ),
            {
                "t": tenant_id,
                "id": task_id,
                "status": status.value,
                "result": orjson.dumps(result or {}).decode(),
                "error": error_msg[:2000] if error_msg else None,
                "final": final,
            },
        )
