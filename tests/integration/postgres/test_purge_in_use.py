"""Dropping a purged day never deadlocks a reader: while a reader holds `logs`, the purge stops
waiting for it (well before PostgreSQL's deadlock detector would pick a victim, maybe the reader)
and deletes the day's rows in batches instead."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from uuid import UUID, uuid4

import asyncpg

from src.adapters.postgres.engine import make_owner_engine
from src.adapters.postgres.log_purger import PostgresLogPurger
from tests.conftest import TenantHandle
from tests.integration.archive.helpers import dsn


async def test_a_day_in_use_is_purged_by_batches_instead_of_dropped(postgres_url: str, tenant: TenantHandle) -> None:
    # A day no other test writes (beyond every retention in the suite), with its own partition.
    day = (datetime.now(UTC) - timedelta(days=900)).date()
    start = datetime.combine(day, time(12), tzinfo=UTC)
    owner = await asyncpg.connect(dsn(postgres_url))
    reader = await asyncpg.connect(dsn(postgres_url))
    engine = make_owner_engine(postgres_url)
    try:
        await owner.execute("SELECT logplane_ensure_log_partitions($1::date, $1::date)", day)
        await owner.executemany(
            'INSERT INTO logs (id, tenant_id, "timestamp", received_at, severity, message, attributes) '
            "VALUES ($1, $2, $3, $3, 9, 'old', '{}')",
            [(uuid4(), UUID(tenant.id), start + timedelta(seconds=n)) for n in range(3)],
        )
        reader_tx = reader.transaction()
        await reader_tx.start()
        await reader.execute("LOCK TABLE ONLY logs IN ACCESS SHARE MODE")  # a search's first lock
        purge = PostgresLogPurger(engine).purge(
            tenant_id=UUID(tenant.id),
            before=start + timedelta(days=2),
            received_before=datetime.now(UTC),
            batch_size=100,
        )
        report = await asyncio.wait_for(purge, timeout=60)  # it used to wait for the reader forever
        assert report.deleted_rows == 3 and report.dropped_partitions == []
        await reader.fetchval("SELECT 1")  # the reader was never aborted
        await reader_tx.commit()
        assert await owner.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", UUID(tenant.id)) == 0
    finally:
        await engine.dispose()
        await reader.close()
        await owner.close()
