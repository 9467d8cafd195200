"""What the analytics tables hold, for alert rules: new patterns, new or re-opened error groups, and
anomaly scores, per tenant (row-level security: the tenant is set on the transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.errors import translate_db_errors
from src.domain.ports.alert_signals import AlertSignals

_ACT_AS = text("SELECT set_config('logplane.tenant_id', :tenant_id, true)")
_SERVICE = "(CAST(:service AS text) IS NULL OR service = CAST(:service AS text))"

# Server time (created_at), not the events' time: an alert says "appeared in the last N minutes" of
# what the platform learnt, so a backfill of old lines still announces its new patterns once.
_NEW_PATTERNS = text(
    "SELECT count(*) FROM patterns WHERE tenant_id = :tenant AND merged_into IS NULL "
    f"AND created_at >= :start AND created_at < :end AND {_SERVICE}"
)
_NEW_ERROR_GROUPS = text(
    "SELECT count(*) FROM error_groups WHERE tenant_id = :tenant AND "
    "((created_at >= :start AND created_at < :end) OR "
    " (status = 'open' AND reopened_count > 0 AND status_changed_at >= :start AND status_changed_at < :end)) "
    f"AND {_SERVICE}"
)
_MAX_ANOMALY = text(
    "SELECT coalesce(max(score), 0) FROM anomalies WHERE tenant_id = :tenant "
    f"AND window_start >= :start AND window_start < :end AND {_SERVICE}"
)


class PostgresAlertSignals(AlertSignals):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _scalar(
        self, query: TextClause, tenant_id: UUID, service: str | None, start: datetime, end: datetime
    ) -> Any:
        params = {"tenant": tenant_id, "service": service, "start": start, "end": end}
        async with translate_db_errors(), self._engine.connect() as conn, conn.begin():
            await conn.execute(_ACT_AS, {"tenant_id": str(tenant_id)})
            return (await conn.execute(query, params)).scalar_one()

    async def new_patterns(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> int:
        return int(await self._scalar(_NEW_PATTERNS, tenant_id, service, start, end))

    async def new_error_groups(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> int:
        return int(await self._scalar(_NEW_ERROR_GROUPS, tenant_id, service, start, end))

    async def max_anomaly_score(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> float:
        return float(await self._scalar(_MAX_ANOMALY, tenant_id, service, start, end))
