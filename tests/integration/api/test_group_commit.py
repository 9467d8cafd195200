"""Group commit: concurrent requests share transactions, and every 201 is a committed row."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import orjson

from tests.conftest import METRICS, TenantHandle, create_tenant
from tests.integration.api.conftest import metric_value
from tests.integration.reindex_tasks import ANNOUNCED

N = 50


async def test_fifty_concurrent_posts_are_all_stored_in_fewer_commits(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    # Warm the credential cache so the requests meet at the writer, not at the key lookup.
    warm = await app_client.post("/api/v1/logs", json={"message": "warm"}, headers=tenant.headers)
    assert warm.status_code == 201
    before = (await app_client.get("/metrics", headers=METRICS)).text

    responses = await asyncio.gather(
        *(app_client.post("/api/v1/logs", json={"message": f"c{i}"}, headers=tenant.headers) for i in range(N))
    )
    assert [r.status_code for r in responses] == [201] * N, [r.text for r in responses if r.status_code != 201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == N

    stored = await db.fetch(
        "SELECT id::text AS id FROM logs WHERE tenant_id = $1 AND message LIKE 'c%'", uuid.UUID(tenant.id)
    )
    assert {r["id"] for r in stored} == ids

    # The outbox: every event announced exactly once, in fewer tasks than requests (one per commit).
    tasks = await db.fetch(
        ANNOUNCED + " AND t.tenant_id = $1 AND NOT $2 = ANY(c.log_ids)",
        uuid.UUID(tenant.id),
        uuid.UUID(warm.json()["id"]),
    )
    announced = [i for t in tasks for i in t["log_ids"]]
    assert sorted(announced) == sorted(ids)
    assert len(tasks) < N

    after = (await app_client.get("/metrics", headers=METRICS)).text
    commits = metric_value(after, "logplane_group_commit_requests_count") - metric_value(
        before, "logplane_group_commit_requests_count"
    )
    requests = metric_value(after, "logplane_group_commit_requests_sum") - metric_value(
        before, "logplane_group_commit_requests_sum"
    )
    assert requests == N
    assert 1 <= commits < N
    assert commits == len(tasks)


async def test_one_commit_serves_several_tenants_without_mixing_them(
    app_client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    tenants = [await create_tenant(app_client) for _ in range(3)]
    responses = await asyncio.gather(
        *(
            app_client.post("/api/v1/logs", json={"message": f"{t.id}:{i}"}, headers=t.headers)
            for i in range(10)
            for t in tenants
        )
    )
    assert {r.status_code for r in responses} == {201}
    for t in tenants:
        rows = await db.fetch("SELECT message FROM logs WHERE tenant_id = $1", uuid.UUID(t.id))
        assert len(rows) == 10
        assert all(r["message"].startswith(f"{t.id}:") for r in rows)
        tasks = await db.fetch("SELECT payload, tenant_id FROM async_task WHERE tenant_id = $1", uuid.UUID(t.id))
        assert sum(orjson.loads(task["payload"])["count"] for task in tasks) == 10


async def test_a_conflict_in_a_shared_commit_fails_only_its_own_request(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    first = await app_client.post(
        "/api/v1/logs", json={"message": "original"}, headers={**tenant.headers, "Idempotency-Key": "k1"}
    )
    assert first.status_code == 201
    plain = [app_client.post("/api/v1/logs", json={"message": f"p{i}"}, headers=tenant.headers) for i in range(10)]
    clash = app_client.post(
        "/api/v1/logs", json={"message": "different"}, headers={**tenant.headers, "Idempotency-Key": "k1"}
    )
    *others, conflicted = await asyncio.gather(*plain, clash)
    assert [r.status_code for r in others] == [201] * 10
    assert conflicted.status_code == 409
    count = await db.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", uuid.UUID(tenant.id))
    assert count == 11
