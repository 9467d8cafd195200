"""The schema itself: migration stairway, the native partition path, the TimescaleDB capability check."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from src.adapters.postgres.engine import make_app_engine
from src.adapters.postgres.migrate import downgrade, upgrade
from src.adapters.postgres.partitions import PostgresPartitionMaintainer


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _fresh_database(postgres_url: str) -> str:
    name = f"stairway_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(_dsn(postgres_url))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


async def test_stairway_upgrade_downgrade_upgrade(postgres_url: str) -> None:
    url = await _fresh_database(postgres_url)
    await asyncio.to_thread(upgrade, url)
    await asyncio.to_thread(downgrade, url)
    conn = await asyncpg.connect(_dsn(url))
    left = await conn.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
    )
    await conn.close()
    assert left == 0
    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(_dsn(url))
    tables = {r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    await conn.close()
    assert {"tenants", "api_keys", "logs", "log_idempotency", "async_task"} <= tables


async def test_native_partitioning_when_timescaledb_is_missing(postgres_url: str) -> None:
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        available = await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'")
        strategy = await conn.fetchval("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'logs'::regclass")
        if available:
            pytest.skip("TimescaleDB is installed here: the hypertable path was taken instead")
        assert strategy in ("r", b"r")  # range partitioning on "timestamp"
        today = datetime.now(UTC).date()
        names = {
            r[0]
            for r in await conn.fetch(
                "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'logs'::regclass"
            )
        }
        expected = {f"logs_p{(today + timedelta(days=d)).strftime('%Y%m%d')}" for d in range(-1, 3)}
        assert expected <= names and "logs_default" in names
    finally:
        await conn.close()


async def test_a_late_partition_adopts_rows_from_the_default_partition(postgres_url: str) -> None:
    """An old day without a partition lands in the default one; creating the day later moves it."""
    day = date(2024, 2, 29)
    tenant = uuid.uuid4()
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        await conn.execute(
            """INSERT INTO logs (id, tenant_id, "timestamp", severity, message)
               VALUES ($1, $2, $3, 9, 'old one')""",
            uuid.uuid4(),
            tenant,
            datetime(2024, 2, 29, 23, 59, tzinfo=UTC),
        )
        assert await conn.fetchval("SELECT count(*) FROM logs_default WHERE tenant_id = $1", tenant) == 1
    finally:
        await conn.close()
    engine = make_app_engine(postgres_url)
    try:
        await PostgresPartitionMaintainer(engine).ensure_days([day])
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM logs_default WHERE tenant_id = $1", tenant) == 0
        assert await conn.fetchval("SELECT count(*) FROM logs_p20240229 WHERE tenant_id = $1", tenant) == 1
        # Partition bounds are UTC days whatever the session's time zone.
        await conn.execute("SET timezone = 'America/New_York'")
        bound = await conn.fetchval(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'logs_p20240229'"
        )
        assert "2024-02-28 19:00:00-05" in bound
    finally:
        await conn.close()


async def test_app_role_cannot_create_tables_but_may_ensure_partitions(postgres_url: str) -> None:
    conn = await asyncpg.connect(_dsn(postgres_url), server_settings={"role": "logplane_app"})
    try:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE intruder (x int)")
        created = await conn.fetchval("SELECT logplane_ensure_log_partitions('2024-03-01', '2024-03-02')")
        assert created == 2
        assert await conn.fetchval("SELECT logplane_ensure_log_partitions('2024-03-01', '2024-03-02')") == 0
    finally:
        await conn.close()
