"""Log events in PostgreSQL: set-based writes (unnest), idempotency claims beside them."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid, log_from_row
from src.domain.logs import LogEvent
from src.domain.ports.log_repository import IdempotencyClaim, LogRepository

# One statement per batch whatever its size: arrays in, unnest on the server.
_INSERT_LOGS = text(
    """
    INSERT INTO logs (id, tenant_id, "timestamp", received_at, severity, service, message, host,
                      user_id, action, trace_id, span_id, attributes, client_id)
    SELECT * FROM unnest(
        CAST(:id AS uuid[]), CAST(:tenant_id AS uuid[]), CAST(:ts AS timestamptz[]),
        CAST(:received_at AS timestamptz[]), CAST(:severity AS smallint[]), CAST(:service AS text[]),
        CAST(:message AS text[]), CAST(:host AS text[]), CAST(:user_id AS text[]), CAST(:action AS text[]),
        CAST(:trace_id AS text[]), CAST(:span_id AS text[]), CAST(:attributes AS jsonb[]),
        CAST(:client_id AS text[]))
    """
)

_RESTORE = text(_INSERT_LOGS.text + ' ON CONFLICT (tenant_id, "timestamp", id) DO NOTHING RETURNING id')

_CLAIM = text(
    """
    INSERT INTO log_idempotency (tenant_id, client_id, log_id, "timestamp", request_hash)
    SELECT CAST(:tenant_id AS uuid), * FROM unnest(
        CAST(:client_id AS text[]), CAST(:log_id AS uuid[]), CAST(:ts AS timestamptz[]),
        CAST(:request_hash AS text[]))
    ON CONFLICT (tenant_id, client_id) DO NOTHING
    RETURNING client_id
    """
)

_EARLIER = text(
    """
    SELECT client_id, log_id, "timestamp", request_hash FROM log_idempotency
    WHERE tenant_id = :tenant_id AND client_id = ANY(CAST(:client_id AS text[]))
    """
)

_LOG_COLUMNS = (
    'id, tenant_id, "timestamp", received_at, severity, service, message, host, user_id, action, '
    "trace_id, span_id, attributes, client_id, pattern_id"
)


class PostgresLogRepository(LogRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim_client_ids(
        self, *, tenant_id: UUID, claims: Sequence[IdempotencyClaim]
    ) -> dict[str, IdempotencyClaim]:
        if not claims:
            return {}
        won = {
            row[0]
            for row in await self._conn.execute(
                _CLAIM,
                {
                    "tenant_id": tenant_id,
                    "client_id": [c.client_id for c in claims],
                    "log_id": [c.log_id for c in claims],
                    "ts": [c.timestamp for c in claims],
                    "request_hash": [c.request_hash for c in claims],
                },
            )
        }
        lost = [c.client_id for c in claims if c.client_id not in won]
        if not lost:
            return {}
        rows = await self._conn.execute(_EARLIER, {"tenant_id": tenant_id, "client_id": lost})
        return {
            r.client_id: IdempotencyClaim(
                client_id=r.client_id, log_id=as_uuid(r.log_id), timestamp=r.timestamp, request_hash=r.request_hash
            )
            for r in rows
        }

    async def add_many(self, *, events: Sequence[LogEvent]) -> None:
        if events:
            await self._conn.execute(_INSERT_LOGS, _columns(events))

    async def get(self, *, tenant_id: UUID, log_id: UUID) -> LogEvent | None:
        row = (
            (
                await self._conn.execute(
                    text(f"SELECT {_LOG_COLUMNS} FROM logs WHERE tenant_id = :t AND id = :id"),
                    {"t": tenant_id, "id": log_id},
                )
            )
            .mappings()
            .first()
        )
        return log_from_row(row) if row else None

    async def count(self, *, tenant_id: UUID) -> int:
        result = await self._conn.execute(text("SELECT count(*) FROM logs WHERE tenant_id = :t"), {"t": tenant_id})
        return int(result.scalar_one())

    async def restore_many(self, *, events: Sequence[LogEvent]) -> int:
        if not events:
            return 0
        result = await self._conn.execute(_RESTORE, _columns(events))
        return len(result.fetchall())


def _columns(events: Sequence[LogEvent]) -> dict[str, list[object]]:
    """One array per column: the whole batch travels as 14 parameters, whatever its size."""
    dumps = orjson.dumps
    return {
        "id": [e.id for e in events],
        "tenant_id": [e.tenant_id for e in events],
        "ts": [e.timestamp for e in events],
        "received_at": [e.received_at for e in events],
        "severity": [int(e.severity) for e in events],
        "service": [e.service for e in events],
        "message": [e.message for e in events],
        "host": [e.host for e in events],
        "user_id": [e.user_id for e in events],
        "action": [e.action for e in events],
        "trace_id": [e.trace_id for e in events],
        "span_id": [e.span_id for e in events],
        "attributes": [dumps(e.attributes).decode() for e in events],
        "client_id": [e.client_id for e in events],
    }
