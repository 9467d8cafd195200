"""Refused-event tallies in PostgreSQL: one row per tenant, route and reason, so a flood of bad
documents updates a few rows instead of writing one per document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.domain.ports.rejection_repository import RejectionRepository
from src.domain.rejections import RejectionCount, RejectionSummary

_UPSERT = text(
    "INSERT INTO ingest_rejections (tenant_id, route, reason, count, sample, first_seen, last_seen) "
    "VALUES (:t, :route, :reason, :n, :sample, :at, :at) "
    "ON CONFLICT (tenant_id, route, reason) DO UPDATE SET "
    "count = ingest_rejections.count + EXCLUDED.count, sample = EXCLUDED.sample, "
    "last_seen = GREATEST(ingest_rejections.last_seen, EXCLUDED.last_seen)"
)


class PostgresRejectionRepository(RejectionRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, *, tenant_id: UUID, counts: Sequence[RejectionCount], at: datetime) -> None:
        if not counts:
            return
        await self._conn.execute(
            _UPSERT,
            [
                {"t": tenant_id, "route": c.route, "reason": c.reason, "n": c.count, "sample": c.sample, "at": at}
                for c in counts
            ],
        )

    async def recent(self, *, tenant_id: UUID, limit: int) -> list[RejectionSummary]:
        rows = await self._conn.execute(
            text(
                "SELECT route, reason, count, sample, first_seen, last_seen FROM ingest_rejections "
                "WHERE tenant_id = :t ORDER BY last_seen DESC, route, reason LIMIT :limit"
            ),
            {"t": tenant_id, "limit": limit},
        )
        return [
            RejectionSummary(route=r[0], reason=r[1], count=r[2], sample=r[3], first_seen=r[4], last_seen=r[5])
            for r in rows
        ]
