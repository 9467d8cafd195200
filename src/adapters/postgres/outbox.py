"""The relay's cross-tenant read of the outbox (owner role: it serves every tenant)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.errors import translate_db_errors
from src.adapters.postgres.rows import task_from_row
from src.domain.ports.outbox import OutboxStore
from src.domain.tasks import WAITING_FOR_QUEUE, AsyncTask, TaskType

_TAKE = text(
    """
    UPDATE async_task SET updated_at = now()
    WHERE task_id IN (
        SELECT task_id FROM async_task
        WHERE status = 'pending' AND task_type = ANY(CAST(:types AS text[]))
          AND (
            (published_at IS NULL AND attempts = 0 AND updated_at < :unpublished_before)
            OR (attempts = 0 AND updated_at < :older_than)
            OR (attempts > 0 AND updated_at < :lost_before))
        ORDER BY created_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED)
    RETURNING task_id, tenant_id, user_id, task_type, status, payload, result, error_msg, attempts,
              created_at, updated_at
    """
)

# A "waiting for the queue" note is cleared with the publish that ends the wait.
_MARK = text(
    "UPDATE async_task SET published_at = now(), "
    "error_msg = CASE WHEN error_msg = :note THEN NULL ELSE error_msg END "
    "WHERE task_id = ANY(CAST(:ids AS uuid[])) AND published_at IS NULL"
)
_NOTE = text(
    "UPDATE async_task SET error_msg = :note "
    "WHERE task_id = ANY(CAST(:ids AS uuid[])) AND published_at IS NULL AND error_msg IS NULL"
)

_UNFINISHED = text(
    """
    SELECT task_id, tenant_id, user_id, task_type, status, payload, result, error_msg, attempts,
           created_at, updated_at
    FROM async_task
    WHERE status IN ('pending', 'running') AND (CAST(:after AS uuid) IS NULL OR task_id > CAST(:after AS uuid))
    ORDER BY task_id
    LIMIT :limit
    """
)


class PostgresOutboxStore(OutboxStore):
    """A never-started task is republished quickly when its publish never happened, slowly when it
    was published (the queue holds it); a started task only after longer than any retry backoff, when
    its message must have been lost (a dead-lettered one comes back through the redrive instead)."""

    def __init__(self, owner_engine: AsyncEngine) -> None:
        self._engine = owner_engine

    async def take_stale_pending(
        self,
        *,
        types: frozenset[TaskType],
        unpublished_before: datetime,
        older_than: datetime,
        lost_before: datetime,
        limit: int,
    ) -> list[AsyncTask]:
        params = {
            "types": sorted(t.value for t in types),
            "unpublished_before": unpublished_before,
            "older_than": older_than,
            "lost_before": lost_before,
            "limit": limit,
        }
        async with translate_db_errors(), self._engine.begin() as conn:
            rows = await conn.execute(_TAKE, params)
            return [task_from_row(r) for r in rows.mappings()]

    async def mark_published(self, *, task_ids: Sequence[UUID]) -> None:
        if not task_ids:
            return
        async with translate_db_errors(), self._engine.begin() as conn:
            await conn.execute(_MARK, {"ids": [str(i) for i in task_ids], "note": WAITING_FOR_QUEUE})

    async def note_waiting(self, *, task_ids: Sequence[UUID], note: str) -> None:
        if not task_ids:
            return
        async with translate_db_errors(), self._engine.begin() as conn:
            await conn.execute(_NOTE, {"ids": [str(i) for i in task_ids], "note": note})

    async def unfinished(self, *, after: UUID | None, limit: int) -> list[AsyncTask]:
        async with translate_db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(_UNFINISHED, {"after": None if after is None else str(after), "limit": limit})
            return [task_from_row(r) for r in rows.mappings()]
