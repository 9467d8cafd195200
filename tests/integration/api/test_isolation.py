"""Tenant isolation through the API: the tenant is the credential's, never the request's."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from tests.conftest import TenantHandle
from tests.integration.api.conftest import assert_error, bearer, count_logs, create_key, issue_token
from tests.integration.reindex_tasks import ANNOUNCED


async def test_tenant_cannot_revoke_another_tenants_key(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    victim = await create_key(app_client, tenant.api_key, ["ingest"])
    for credential in (other_tenant.api_key, await issue_token(app_client, other_tenant.api_key)):
        response = await app_client.delete(f"/api/v1/keys/{victim['id']}", headers=bearer(credential))
        assert_error(response, 404, "not_found")
    assert await db.fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", uuid.UUID(victim["id"])) is None
    still = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=bearer(victim["api_key"]))
    assert still.status_code == 201, still.text


async def test_tenant_lists_only_its_own_keys(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    mine = await create_key(app_client, tenant.api_key, ["read"])
    theirs = await create_key(app_client, other_tenant.api_key, ["read"])
    token = await issue_token(app_client, other_tenant.api_key)
    listed = await app_client.get("/api/v1/keys", headers=bearer(token))
    assert listed.status_code == 200, listed.text
    ids = {k["id"] for k in listed.json()["items"]}
    assert theirs["id"] in ids
    assert mine["id"] not in ids
    assert len(ids) == 2


async def test_tenant_id_in_the_body_is_refused_never_honoured(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    token = await issue_token(app_client, other_tenant.api_key)
    single = await app_client.post(
        "/api/v1/logs", json={"message": "pretend", "tenant_id": tenant.id}, headers=bearer(token)
    )
    error = assert_error(single, 422, "unknown_field")
    assert error["details"] == {"field": "tenant_id"}
    bulk = await app_client.post(
        "/api/v1/logs/bulk",
        json=[{"message": "pretend", "tenant_id": tenant.id}, {"message": "honest"}],
        headers=bearer(token),
    )
    assert bulk.status_code == 207, bulk.text
    assert bulk.json()["errors"][0]["code"] == "unknown_field"
    assert await count_logs(db, tenant.id) == 0
    rows = await db.fetch("SELECT message FROM logs WHERE tenant_id = $1", uuid.UUID(other_tenant.id))
    assert [r["message"] for r in rows] == ["honest"]


async def test_events_land_in_the_credentials_tenant(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    a = await app_client.post("/api/v1/logs", json={"message": "from a"}, headers=tenant.headers)
    b_token = await issue_token(app_client, other_tenant.api_key)
    b = await app_client.post("/api/v1/logs/bulk", json=[{"message": "from b"}], headers=bearer(b_token))
    assert a.status_code == b.status_code == 201
    owner = {
        r["message"]: str(r["tenant_id"])
        for r in await db.fetch(
            "SELECT message, tenant_id FROM logs WHERE tenant_id = ANY($1::uuid[])",
            [uuid.UUID(tenant.id), uuid.UUID(other_tenant.id)],
        )
    }
    assert owner == {"from a": tenant.id, "from b": other_tenant.id}
    tasks = {
        str(r["tenant_id"])
        for r in await db.fetch(
            "SELECT tenant_id FROM async_task WHERE tenant_id = ANY($1::uuid[])",
            [uuid.UUID(tenant.id), uuid.UUID(other_tenant.id)],
        )
    }
    assert tasks == {tenant.id, other_tenant.id}


async def test_tenant_admin_key_cannot_create_keys_for_another_tenant(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    response = await app_client.post(
        f"/api/v1/tenants/{tenant.id}/keys", json={"name": "x", "scopes": ["admin"]}, headers=other_tenant.headers
    )
    assert_error(response, 401, "invalid_admin_token")


async def test_tenant_cannot_read_another_tenants_event_or_tasks(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    stored = await app_client.post("/api/v1/logs", json={"message": "a's secret"}, headers=tenant.headers)
    assert stored.status_code == 201
    log_id = stored.json()["id"]
    task_id = str(
        await db.fetchval("SELECT task_id FROM (" + ANNOUNCED + " AND $1 = ANY(c.log_ids)) a", uuid.UUID(log_id))
    )
    # The owner reads both back (the control for the refusals below).
    own_log = await app_client.get(f"/api/v1/logs/{log_id}", headers=tenant.headers)
    assert own_log.status_code == 200 and own_log.json()["message"] == "a's secret"
    own_task = await app_client.get(f"/api/v1/tasks/{task_id}", headers=tenant.headers)
    assert own_task.status_code == 200 and own_task.json()["task_type"] == "reindex"

    b_token = await issue_token(app_client, other_tenant.api_key)
    for credential in (other_tenant.api_key, b_token):
        assert_error(await app_client.get(f"/api/v1/logs/{log_id}", headers=bearer(credential)), 404, "not_found")
        assert_error(await app_client.get(f"/api/v1/tasks/{task_id}", headers=bearer(credential)), 404, "not_found")
        listed = await app_client.get("/api/v1/tasks", headers=bearer(credential))
        assert listed.status_code == 200, listed.text
        assert task_id not in {t["task_id"] for t in listed.json()["items"]}
    assert "a's secret" not in listed.text


async def test_reading_needs_the_read_scope(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    stored = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
    ingest_only = await create_key(app_client, tenant.api_key, ["ingest"])
    response = await app_client.get(f"/api/v1/logs/{stored.json()['id']}", headers=bearer(ingest_only["api_key"]))
    error = assert_error(response, 403, "missing_scope")
    assert error["details"] == {"scope": "read"}
    reader = await create_key(app_client, tenant.api_key, ["read"])
    ok = await app_client.get(f"/api/v1/logs/{stored.json()['id']}", headers=bearer(reader["api_key"]))
    assert ok.status_code == 200, ok.text
