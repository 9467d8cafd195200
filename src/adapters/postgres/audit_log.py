"""The audit log in PostgreSQL: append-only for the application role (no UPDATE or DELETE grant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.audit import AuditEntry
from src.domain.ports.audit_log import AuditLog


def _details(value: Any) -> dict[str, Any]:
    loaded = orjson.loads(value) if isinstance(value, str | bytes) else value
    return dict(loaded or {})


class PostgresAuditLog(AuditLog):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, *, entry: AuditEntry) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO audit_log (tenant_id, id, at, actor, action, target, details) "
                "VALUES (:t, :id, :at, :actor, :action, :target, CAST(:details AS jsonb))"
            ),
            {
                "t": entry.tenant_id,
                "id": entry.id,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target,
                "details": orjson.dumps(entry.details).decode(),
            },
        )

    async def list(
        self, *, tenant_id: UUID, start: datetime | None, end: datetime | None, limit: int
    ) -> list[AuditEntry]:
        rows = (
            await self._conn.execute(
                text(
                    "SELECT tenant_id, id, at, actor, action, target, details FROM audit_log "
                    "WHERE tenant_id = :t AND (CAST(:start AS timestamptz) IS NULL OR at >= :start) "
                    "AND (CAST(:end AS timestamptz) IS NULL OR at < :end) "
                    "ORDER BY at DESC, id DESC LIMIT :limit"
                ),
                {"t": tenant_id, "start": start, "end": end, "limit": limit},
            )
        ).mappings()
        return [
            AuditEntry(
                tenant_id=as_uuid(r["tenant_id"]),
                id=as_uuid(r["id"]),
                at=r["at"],
                actor=r["actor"],
                action=r["action"],
                target=r["target"],
                details=_details(r["details"]),
            )
            for r in rows
        ]
