"""Log events in PostgreSQL: set-based writes, idempotency claims beside them.

Ingest writes with binary COPY into the session's staging table and one `INSERT … SELECT` into
`logs` (COPY itself is refused on a table under row-level security, and the INSERT is where RLS
checks every row). That halves the client's encoding work and cuts the server's against
`INSERT … SELECT FROM unnest(14 arrays)`, which remains for restores, for a call that mixes
tenants, and for a connection without the staging table (see `engine.prepare_staging`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid, log_from_row
from src.domain.errors import DependencyUnavailable
from src.domain.logs import LogEvent
from src.domain.ports.log_repository import IdempotencyClaim, LogRepository

# `logs`' columns as ingest writes them, in the order of `log_columns` (the benchmarks COPY straight
# into `logs` in it).
LOG_COLUMNS = (
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
_WRITTEN = ", ".join(f'"{c}"' for c in LOG_COLUMNS)

# One statement per batch whatever its size: arrays in, unnest on the server.
_INSERT_LOGS = text(
    f"""
    INSERT INTO logs ({_WRITTEN})
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

_LOG_COLUMNS = f"{_WRITTEN}, pattern_id"


STAGING_TABLE = "logs_staging"
# Per session (temporary) and emptied by each commit and rollback, and by `add_many` between two
# writes of one transaction (the INSERT takes every staged row as its tenant's). Its
# columns are `logs`' minus two choices made for the client's encoding CPU, the largest part of
# the COPY: no `tenant_id` (one tenant per write: a constant of the INSERT), and times as UTC wall
# clock `timestamp`, not `timestamptz`. asyncpg compares every aware datetime with its naive
# infinity sentinels and converts it with `astimezone`: 0.9 µs a value against 0.3 for a naive one,
# where `AT TIME ZONE 'UTC'` costs PostgreSQL 0.06 µs a row (docs/benchmarks.md, "Sixth pass"). No
# NOT NULL here: the INSERT into `logs` checks every constraint. A test holds the types to `logs`'.
STAGING_DDL = f"""CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} (
    id uuid, "timestamp" timestamp, received_at timestamp, severity smallint, service text,
    message text, host text, user_id text, action text, trace_id text, span_id text, attributes text,
    client_id text
) ON COMMIT DELETE ROWS"""
# The COPY column order of `staged_records`.
STAGING_COLUMNS = tuple(c for c in LOG_COLUMNS if c != "tenant_id")
# `attributes` travels as text (asyncpg's text codec is C; the jsonb one SQLAlchemy registers is a
# Python call per value) and PostgreSQL parses it once, as it would jsonb's binary form.
_INSERT_STAGED = f"""
    INSERT INTO logs ({_WRITTEN})
    SELECT id, $1::uuid, "timestamp" AT TIME ZONE 'UTC', received_at AT TIME ZONE 'UTC', severity,
           service, message, host, user_id, action, trace_id, span_id, attributes::jsonb, client_id
    FROM {STAGING_TABLE}
"""
# Naive UTC wall clock of an aware datetime by subtraction (0.1 µs): `replace(tzinfo=None)` parses
# keywords (0.8 µs) and `astimezone` would be needed first for another offset anyway.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(2000, 1, 1)


class PostgresLogRepository(LogRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # One repository per transaction: whether its staging table holds an earlier write's rows.
        self._staged = False

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
        tenant_id = events[0].tenant_id
        # `is` first: a request's events share the principal's UUID object (`==` is a Python call).
        one_tenant = all(e.tenant_id is tenant_id or e.tenant_id == tenant_id for e in events)
        if not one_tenant or not self._conn.info.get(STAGING_TABLE):
            await self._conn.execute(_INSERT_LOGS, log_columns(events))
            return
        raw = await self._conn.get_raw_connection()
        driver = raw.driver_connection  # asyncpg's, inside the unit of work's transaction
        assert driver is not None
        try:
            if self._staged:
                # A group commit writes tenant after tenant in one transaction, and the commit is what
                # empties the table: without this, the next INSERT would take the last tenant's rows
                # again, as this tenant's.
                await driver.execute(f"DELETE FROM {STAGING_TABLE}")
            self._staged = True
            await self._copy_staged(driver, tenant_id, events)
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as e:
            # The driver's own errors bypass SQLAlchemy's translation: drop the connection from the
            # pool and answer as every other lost-database path does.
            await self._conn.invalidate()
            raise DependencyUnavailable(
                "the database connection was lost", code="database_unavailable", details={"dependency": "postgres"}
            ) from e

    @staticmethod
    async def _copy_staged(driver: asyncpg.Connection, tenant_id: UUID, events: Sequence[LogEvent]) -> None:
        await driver.copy_records_to_table(STAGING_TABLE, columns=STAGING_COLUMNS, records=staged_records(events))
        await driver.execute(_INSERT_STAGED, tenant_id)

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
        result = await self._conn.execute(_RESTORE, log_columns(events))
        return len(result.fetchall())


def staged_records(events: Iterable[LogEvent]) -> list[tuple[object, ...]]:
    """The events as COPY rows of the staging table, in `STAGING_COLUMNS` order."""
    dumps = orjson.dumps
    epoch, naive_epoch = _EPOCH, _NAIVE_EPOCH
    # A request's events share one time of receipt (one object): converted once per request.
    received_from: object = object()  # no event's: the first event always converts
    received = naive_epoch
    rows: list[tuple[object, ...]] = []
    append = rows.append
    for e in events:
        if e.received_at is not received_from:
            received_from, received = e.received_at, e.received_at - epoch + naive_epoch
        append(
            (
                e.id,
                e.timestamp - epoch + naive_epoch,
                received,
                e.severity,
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
        )
    return rows


def log_columns(events: Sequence[LogEvent]) -> dict[str, list[object]]:
    """One array per column, in `LOG_COLUMNS` order: the whole batch travels as 14 parameters,
    whatever its size."""
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
