"""Log events in PostgreSQL: set-based writes, idempotency claims beside them.

Ingest writes with binary COPY into the session's staging table and one `INSERT … SELECT` into
`logs` (COPY itself is refused on a table under row-level security, and the INSERT is where RLS
checks every row). That halves the client's encoding work and cuts the server's against
`INSERT … SELECT FROM unnest(14 arrays)`, which remains for restores and for a connection
without the staging table (see `engine.prepare_staging`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid, log_from_row
from src.domain.errors import DependencyUnavailable
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


STAGING_TABLE = "logs_staging"
# Per session (temporary) and emptied by each commit, so nothing is ever left behind in it.
STAGING_DDL = f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} (LIKE logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
# The COPY column order of `staged_records` (the benchmarks COPY into `logs` in the same order).
STAGING_COLUMNS = (
    "id",
    "tenant_id",
    "timestamp",
    "received_at",
    "severity",
    "service",
    "message",
    "host",
    "user_id",
    "action",
    "trace_id",
    "span_id",
    "attributes",
    "client_id",
)
# Columns named, not `*`: a staging table made before a migration that added a column still fits.
_STAGED = ", ".join(f'"{c}"' for c in STAGING_COLUMNS)
_INSERT_STAGED = f"INSERT INTO logs ({_STAGED}) SELECT {_STAGED} FROM {STAGING_TABLE}"


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
        if not events:
            return
        if not self._conn.info.get(STAGING_TABLE):
            await self._conn.execute(_INSERT_LOGS, _columns(events))
            return
        raw = await self._conn.get_raw_connection()
        driver = raw.driver_connection  # asyncpg's, inside the unit of work's transaction
        assert driver is not None
        try:
            await self._copy_staged(driver, events)
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as e:
            # The driver's own errors bypass SQLAlchemy's translation: drop the connection from the
            # pool and answer as every other lost-database path does.
            await self._conn.invalidate()
            raise DependencyUnavailable(
                "the database connection was lost", code="database_unavailable", details={"dependency": "postgres"}
            ) from e

    @staticmethod
    async def _copy_staged(driver: asyncpg.Connection, events: Sequence[LogEvent]) -> None:
        await driver.copy_records_to_table(STAGING_TABLE, columns=STAGING_COLUMNS, records=staged_records(events))
        await driver.execute(_INSERT_STAGED)

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


def staged_records(events: Iterable[LogEvent]) -> list[tuple[object, ...]]:
    """The events as COPY rows, in `STAGING_COLUMNS` order."""
    dumps = orjson.dumps
    return [
        (
            e.id,
            e.tenant_id,
            e.timestamp,
            e.received_at,
            int(e.severity),
            e.service,
            e.message,
            e.host,
            e.user_id,
            e.action,
            e.trace_id,
            e.span_id,
            dumps(e.attributes).decode(),
            e.client_id,
        )
        for e in events
    ]


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
