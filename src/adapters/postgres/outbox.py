"""The relay's cross-tenant read of the outbox (owner role: it serves every tenant)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.errors import translate_db_errors
from src.adapters.postgres.rows import task_from_row
from src.domain.ports.outbox import OutboxStore
from src.domain.tasks import AsyncTask, TaskType

_TAKE = text(
    """
    UPDATE async_task SET updated_at = now()
    WHERE task_id IN (
        SELECT task_id FROM async_task
        WHERE status = 'pending' AND attempts = 0
          AND task_type = ANY(CAST(:types AS text[])) AND updated_at < :older_than
        ORDER BY created_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED)
    RETURNING task_id, tenant_id, user_id, task_type, status, payload, result, error_msg, attempts,
              created_at, updated_at
    """
)


class PostgresOutboxStore(OutboxStore):
    """Only never-started tasks are the relay's (`attempts = 0`): once a worker has received a task,
    its message is SQS's to redeliver or dead-letter, and a second copy would dodge the DLQ."""

    def __init__(self, owner_engine: AsyncEngine) -> None:
        self._engine = owner_engine

    async def take_stale_pending(
        self, *, types: frozenset[TaskType], older_than: datetime, limit: int
    ) -> list[AsyncTask]:
        async with translate_db_errors(), self._engine.begin() as conn:
            rows = await conn.execute(
                _TAKE, {"types": sorted(t.value for t in types), "older_than": older_than, "limit": limit}
            )
            return [task_from_row(r) for r in rows.mappings()]
