"""Expires idempotency claims, old commit order and finished reindex tasks in bounded batches
(platform-wide, so it runs as the owner role)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.domain.ports.ingest_janitor import IngestJanitor

_BATCH = text(
    """
    DELETE FROM log_idempotency WHERE ctid IN (
        SELECT ctid FROM log_idempotency WHERE created_at < :before LIMIT :limit)
    """
)

_COMMITS_BATCH = text(
    """
    DELETE FROM log_commits WHERE ctid IN (
        SELECT ctid FROM log_commits WHERE committed_at < :before LIMIT :limit)
    """
)

# One reindex task per tenant per group commit, each listing every id it stored: kept for ever, the
# outbox would grow with the logs themselves. The partial index (migration 0013) finds them.
_TASKS_BATCH = text(
    """
    DELETE FROM async_task WHERE ctid IN (
        SELECT ctid FROM async_task
        WHERE task_type = 'reindex' AND status = 'succeeded' AND finished_at < :before LIMIT :limit)
    """
)


class PostgresIngestJanitor(IngestJanitor):
    def __init__(self, owner_engine: AsyncEngine, *, batch_size: int = 10_000) -> None:
        self._engine = owner_engine
        self._batch = batch_size

    async def expire_claims(self, *, older_than: datetime) -> int:
        return await self._expire(_BATCH, older_than)

    async def expire_commit_order(self, *, older_than: datetime) -> int:
        return await self._expire(_COMMITS_BATCH, older_than)

    async def expire_reindex_tasks(self, *, older_than: datetime) -> int:
        return await self._expire(_TASKS_BATCH, older_than)

    async def _expire(self, batch: TextClause, older_than: datetime) -> int:
        total = 0
        while True:
            # One short transaction per batch: no long lock on a busy table.
            async with self._engine.begin() as conn:
                deleted = (await conn.execute(batch, {"before": older_than, "limit": self._batch})).rowcount
            total += deleted
            if deleted < self._batch:
                return total
