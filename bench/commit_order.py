#!/usr/bin/env python
"""What the live stream's commit order costs a group commit: 100-event transactions with and
without `commit_order.record` (one statement: a per-tenant advisory lock and one `log_commits` row),
alternated A/B/A/B in the same run against the same embedded PostgreSQL.

    python bench/commit_order.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from src.adapters.embedded.postgres import start_postgres
from src.adapters.postgres.engine import make_app_engine
from src.adapters.postgres.migrate import upgrade
from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.severity import Severity


def ev(t: uuid.UUID) -> LogEvent:
    now = datetime.now(UTC)
    return LogEvent(
        id=new_id(),
        tenant_id=t,
        timestamp=now,
        received_at=now,
        message="x" * 200,
        severity=Severity.INFO,
        service="s",
        host=None,
        user_id=None,
        action=None,
        trace_id=None,
        span_id=None,
        attributes={},
    )


async def main(url: str) -> None:
    eng = make_app_engine(url)
    uows = PostgresUnitOfWorkFactory(eng)
    t = uuid.uuid4()
    own = create_async_engine(url)
    async with own.begin() as c:
        await c.execute(
            text("INSERT INTO tenants (id, name, retention_days) VALUES (:i, :n, 30)"), {"i": t, "n": "bench"}
        )
    await own.dispose()
    for record in (False, True, False, True):
        times: list[float] = []
        for _ in range(400):
            batch = [ev(t) for _ in range(100)]
            s = time.perf_counter()
            async with uows() as uow:
                await uow.act_as_tenant(t)
                await uow.logs.add_many(events=batch)
                if record:
                    await uow.commit_order.record(tenant_id=t, log_ids=[e.id for e in batch])
                await uow.commit()
            times.append(time.perf_counter() - s)
        print(
            f"record={record}: median {statistics.median(times) * 1000:.2f} ms per 100-event group commit, p90 {sorted(times)[360] * 1000:.2f} ms"
        )
    await eng.dispose()


if __name__ == "__main__":
    service = start_postgres(Path(tempfile.mkdtemp(prefix="logplane_bench_")) / "data")
    try:
        upgrade(service.url, timescaledb="auto")
        asyncio.run(main(service.url))
    finally:
        service.stop()
