"""Deletes an archived range from PostgreSQL: whole partitions when possible, batches otherwise."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.errors import translate_db_errors
from src.domain.ports.log_purger import LogPurger, PurgeReport

logger = logging.getLogger(__name__)

# How long a drop waits for `logs` while holding the day (well under `deadlock_timeout`'s 1 s).
_DETACH_WAIT_MS = 200
_LOCK_NOT_AVAILABLE = "55P03"

_PREDICATE = 'tenant_id = :t AND "timestamp" < :before AND received_at < :received_before'

_PARTITIONS = text(
    """
    SELECT c.relname,
           pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'logs'::regclass AND c.relname LIKE 'logs_p%'
    ORDER BY c.relname
    """
)

# Whole minutes before the range's end: pattern counts are per minute of event time. A late event
# (received after `received_before`, timestamped inside the range) is not deleted now but loses its
# count; it is archived and deleted by the next cleanup of the range.
_PATTERN_MINUTES = text("DELETE FROM pattern_counts WHERE tenant_id = :t AND minute + interval '1 minute' <= :before")

_BATCH = text(
    f"""
    DELETE FROM logs WHERE (tenant_id, "timestamp", id) IN (
        SELECT tenant_id, "timestamp", id FROM logs WHERE {_PREDICATE} LIMIT :limit)
    """
)


def _day_of(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.removeprefix("logs_p"), "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None


class PostgresLogPurger(LogPurger):
    """Runs as the owner role: the API's role may not delete logs at all."""

    def __init__(self, owner_engine: AsyncEngine) -> None:
        self._engine = owner_engine

    async def count(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        async with translate_db_errors(), self._engine.connect() as conn:
            result = await conn.execute(
                text(f"SELECT count(*) FROM logs WHERE {_PREDICATE}"),
                {"t": tenant_id, "before": before, "received_before": received_before},
            )
            return int(result.scalar_one())

    async def purge(
        self, *, tenant_id: UUID, before: datetime, received_before: datetime, batch_size: int
    ) -> PurgeReport:
        params = {"t": tenant_id, "before": before, "received_before": received_before}
        dropped: list[str] = []
        deleted = 0
        async with translate_db_errors():
            async with self._engine.connect() as conn:
                names = [row[0] for row in await conn.execute(_PARTITIONS)]
            for name in names:
                day = _day_of(name)
                if day is None or day + timedelta(days=1) > before:
                    continue
                rows = await self._drop_if_only_ours(name, params)
                if rows is not None:
                    dropped.append(name)
                    deleted += rows
            while True:
                async with self._engine.begin() as conn:
                    count = (await conn.execute(_BATCH, {**params, "limit": batch_size})).rowcount
                deleted += count
                if count < batch_size:
                    break
            async with self._engine.begin() as conn:
                minutes = (await conn.execute(_PATTERN_MINUTES, params)).rowcount
        return PurgeReport(deleted_rows=deleted, dropped_partitions=dropped, deleted_pattern_minutes=minutes)

    async def _drop_if_only_ours(self, name: str, params: dict[str, object]) -> int | None:
        """Drop a whole day when every row in it is in the range; None when it holds anything else."""
        async with self._engine.begin() as conn:
            # Lock first so no insert can slip in between the check and the drop.
            await conn.execute(text(f'LOCK TABLE "{name}" IN ACCESS EXCLUSIVE MODE'))
            stats = (
                await conn.execute(
                    text(f'SELECT count(*) AS total, count(*) FILTER (WHERE {_PREDICATE}) AS ours FROM "{name}"'),
                    params,
                )
            ).one()
            if stats.total == 0 or stats.total != stats.ours:
                return None
            # Detaching takes `logs` itself after the day: the reverse of a reader's order (`logs`,
            # then each day), so a search waiting on this day while it holds `logs` would deadlock
            # with us, and PostgreSQL's detector (after `deadlock_timeout`, 1 s) might abort the
            # search. Give up first instead: the day's rows then go by the batched delete below.
            await conn.execute(text(f"SET LOCAL lock_timeout = '{_DETACH_WAIT_MS}ms'"))
            try:
                async with conn.begin_nested():  # a savepoint: the transaction outlives a refusal
                    await conn.execute(text(f'ALTER TABLE logs DETACH PARTITION "{name}"'))
            except DBAPIError as e:
                if getattr(e.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                    raise
                logger.info("partition %s is in use; its rows are deleted in batches instead", name)
                return None
            await conn.execute(text(f'DROP TABLE "{name}"'))
            logger.info("dropped partition %s (%d rows)", name, stats.total)
            return int(stats.total)
