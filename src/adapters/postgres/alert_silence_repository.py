"""Silences in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.alerting.model import Silence
from src.domain.ports.alert_silence_repository import AlertSilenceRepository

_COLUMNS = "tenant_id, id, rule_id, starts_at, ends_at, comment, created_by, created_at"


def _silence(row: Any) -> Silence:
    return Silence(
        tenant_id=as_uuid(row.tenant_id),
        id=as_uuid(row.id),
        rule_id=as_uuid(row.rule_id),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        comment=row.comment,
        created_by=row.created_by,
        created_at=row.created_at,
    )


class PostgresAlertSilenceRepository(AlertSilenceRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, silence: Silence) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO alert_silences (tenant_id, id, rule_id, starts_at, ends_at, comment, created_by) "
                "VALUES (:t, :id, :rule_id, :starts_at, :ends_at, :comment, :created_by)"
            ),
            {
                "t": silence.tenant_id,
                "id": silence.id,
                "rule_id": silence.rule_id,
                "starts_at": silence.starts_at,
                "ends_at": silence.ends_at,
                "comment": silence.comment,
                "created_by": silence.created_by,
            },
        )

    async def list(self, *, tenant_id: UUID, ending_after: datetime | None = None) -> list[Silence]:
        where = ""
        params: dict[str, Any] = {"t": tenant_id}
        if ending_after is not None:
            where, params = " AND ends_at > :after", {"t": tenant_id, "after": ending_after}
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM alert_silences WHERE tenant_id = :t{where} ORDER BY starts_at DESC, id"),
            params,
        )
        return [_silence(r) for r in result]

    async def delete(self, *, tenant_id: UUID, silence_id: UUID) -> bool:
        result = await self._conn.execute(
            text("DELETE FROM alert_silences WHERE tenant_id = :t AND id = :id RETURNING id"),
            {"t": tenant_id, "id": silence_id},
        )
        return result.first() is not None

    async def silenced_rules(self, *, tenant_id: UUID, at: datetime) -> set[UUID]:
        result = await self._conn.execute(
            text(
                "SELECT DISTINCT rule_id FROM alert_silences "
                "WHERE tenant_id = :t AND starts_at <= :at AND ends_at > :at"
            ),
            {"t": tenant_id, "at": at},
        )
        return {as_uuid(r.rule_id) for r in result}
