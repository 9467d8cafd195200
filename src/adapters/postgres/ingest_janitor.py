"""Expires idempotency claims, old commit order and finished reindex tasks in bounded batches
(platform-wide, so it runs as the owner role)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.domain.ports.ingest_janitor import IngestJanitor


def _batch(table: str, due: str) -> TextClause:
    """One bounded DELETE of `table`'s rows where `due` (a condition on `:before`) holds."""
    return text(f"DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {due} LIMIT :limit)")


_CLAIMS_BATCH = _batch("log_idempotency", "created_at < :before")
_COMMITS_BATCH = _batch("log_commits", "committed_at < :before")
# One reindex task per tenant per group commit: kept for ever, the outbox would grow with the logs
# themselves. The partial index (migration 0013) finds them.
_TASKS_BATCH = _batch("async_task", "task_type = 'reindex' AND status = 'succeeded' AND finished_at < :before")


class PostgresIngestJanitor(IngestJanitor):
    def __init__(self, owner_engine: AsyncEngine, *, batch_size: int = 10_000) -> None:
        self._engine = owner_engine
        self._batch = batch_size

    async def expire_claims(self, *, older_than: datetime) -> int:
        return await self._expire(_CLAIMS_BATCH, older_than)

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
