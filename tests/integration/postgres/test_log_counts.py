"""The search reconciliation's truth: events per tenant and UTC day, as PostgreSQL holds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx

from src.adapters.postgres.engine import make_owner_engine
from src.adapters.postgres.log_counts import PostgresLogCounts
from tests.conftest import TenantHandle


async def test_counts_per_tenant_and_day_only_what_was_acknowledged_before(
    postgres_url: str, app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    events = [{"message": "a", "timestamp": yesterday.isoformat()}] * 3 + [{"message": "b"}] * 2
    response = await app_client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)
    assert response.status_code == 201, response.text
    engine = make_owner_engine(postgres_url)
    try:
        counts = PostgresLogCounts(engine)
        mine = {
            c.day: c.count
            for c in await counts.per_tenant_day(
                since=now - timedelta(days=3), received_before=now + timedelta(minutes=1)
            )
            if c.tenant_id == UUID(tenant.id)
        }
        assert mine == {yesterday.date(): 3, datetime.now(UTC).date(): 2} or mine == {
            yesterday.date(): 3,
            now.date(): 2,
        }
        settled = await counts.per_tenant_day(since=now - timedelta(days=3), received_before=now - timedelta(minutes=5))
        assert all(c.tenant_id != UUID(tenant.id) for c in settled)  # all of them are younger than that
    finally:
        await engine.dispose()
