"""Per tenant and UTC day event counts, across tenants (owner role)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.errors import translate_db_errors
from src.adapters.postgres.rows import as_uuid
from src.domain.ports.log_counts import DayCount, LogCounts

_COUNTS = text(
    """
    SELECT tenant_id, (("timestamp" AT TIME ZONE 'UTC')::date) AS day, count(*) AS n
    FROM logs
    WHERE "timestamp" >= :since AND received_at < :received_before
    GROUP BY 1, 2
    """
)


class PostgresLogCounts(LogCounts):
    def __init__(self, owner_engine: AsyncEngine) -> None:
        self._engine = owner_engine

    async def per_tenant_day(self, *, since: datetime, received_before: datetime) -> list[DayCount]:
        async with translate_db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(_COUNTS, {"since": since, "received_before": received_before})
            return [DayCount(as_uuid(r.tenant_id), r.day, int(r.n)) for r in rows]
