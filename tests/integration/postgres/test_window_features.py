"""Window features from PostgreSQL: volume and errors from `logs`, new patterns from `patterns`
(first seen, in event time, in the window), under the tenant's row-level security."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy import text

from src.adapters.postgres.engine import make_app_engine
from src.adapters.postgres.window_features import PostgresWindowFeatures
from tests.conftest import create_tenant
from tests.integration.api.conftest import plain_url

MIN = timedelta(minutes=1)


async def test_new_patterns_are_a_feature_of_the_window_they_first_appear_in(
    app_client: httpx.AsyncClient, postgres_url: str
) -> None:
    tenant, other = await create_tenant(app_client), await create_tenant(app_client)
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    events = [
        {
            "timestamp": (start + m * MIN + timedelta(seconds=5)).isoformat(),
            "message": "m",
            "service": "svc",
            "severity": "error" if m == 1 else "info",
        }
        for m in range(3)
    ]
    for who in (tenant, other):
        response = await app_client.post("/api/v1/logs/bulk", json=events, headers=who.headers)
        assert response.status_code == 201, response.text
    owner = await asyncpg.connect(plain_url(postgres_url))
    try:
        for who, minute in ((tenant, 2), (other, 0)):
            await owner.execute(
                "INSERT INTO patterns (tenant_id, id, service, template, first_seen, last_seen) "
                "VALUES ($1, $2, 'svc', 'm', $3, $3)",
                uuid.UUID(who.id),
                uuid.uuid4().hex[:12],
                start + minute * MIN + timedelta(seconds=5),
            )
    finally:
        await owner.close()

    engine = make_app_engine(postgres_url)
    try:
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text("SELECT set_config('logplane.tenant_id', :t, true)"), {"t": tenant.id})
            windows = await PostgresWindowFeatures(conn).extract(
                tenant_id=uuid.UUID(tenant.id), start=start, end=start + 3 * MIN, window=MIN
            )
    finally:
        await engine.dispose()
    by_minute = {int((w.start - start) / MIN): w.values for w in windows}
    assert sorted(by_minute) == [0, 1, 2]
    assert by_minute[1]["errors"] == 1
    assert [by_minute[m].get("new_patterns", 0.0) for m in range(3)] == [0.0, 0.0, 1.0]  # not the other tenant's
