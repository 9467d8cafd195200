"""The platform admin's tenant registry: create, list, read, change, suspend."""

from __future__ import annotations

import hashlib
import uuid

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import TenantHandle, create_tenant
from tests.integration.api.conftest import ADMIN, assert_error, bearer, issue_token

TENANTS = "/api/v1/tenants"


async def test_create_tenant_stores_it_with_a_working_admin_key(
    app_client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = f"acme-{uuid.uuid4().hex[:8]}"
    response = await app_client.post(
        TENANTS,
        json={"name": name, "retention_days": 90, "limits": {"requests_per_minute": 100}},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tenant_id"] == body["id"]
    assert (body["name"], body["status"], body["retention_days"]) == (name, "active", 90)
    assert body["limits"]["requests_per_minute"] == 100
    assert body["api_key"].startswith("lp_")

    row = await db.fetchrow("SELECT * FROM tenants WHERE id = $1", uuid.UUID(body["id"]))
    assert (row["name"], row["status"], row["retention_days"]) == (name, "active", 90)
    assert orjson.loads(row["limits"])["requests_per_minute"] == 100
    key = await db.fetchrow("SELECT * FROM api_keys WHERE id = $1", uuid.UUID(body["api_key_id"]))
    assert str(key["tenant_id"]) == body["id"]
    assert sorted(key["scopes"]) == ["admin", "ingest", "read"]
    # Only the hash is stored, never the secret.
    assert bytes(key["key_hash"]) == hashlib.sha256(body["api_key"].encode()).digest()
    assert body["api_key"].encode() not in bytes(key["key_hash"])

    ingest = await app_client.post("/api/v1/logs", json={"message": "hi"}, headers=bearer(body["api_key"]))
    assert ingest.status_code == 201, ingest.text


async def test_retention_defaults_from_settings(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(TENANTS, json={"name": f"d-{uuid.uuid4().hex[:8]}"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json()["retention_days"] == 30


async def test_list_and_get(app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle) -> None:
    listed = await app_client.get(TENANTS, headers=ADMIN)
    assert listed.status_code == 200, listed.text
    by_id = {t["id"]: t for t in listed.json()["items"]}
    assert {tenant.id, other_tenant.id} <= set(by_id)
    assert by_id[tenant.id]["name"] == tenant.name
    assert "api_key" not in listed.text

    one = await app_client.get(f"{TENANTS}/{tenant.id}", headers=ADMIN)
    assert one.status_code == 200, one.text
    assert one.json() == by_id[tenant.id]


async def test_get_unknown_tenant_is_404(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get(f"{TENANTS}/{uuid.uuid4()}", headers=ADMIN)
    assert_error(response, 404, "not_found")


async def test_malformed_tenant_id_is_422(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get(f"{TENANTS}/not-a-uuid", headers=ADMIN)
    assert_error(response, 422, "invalid_request")


async def test_duplicate_name_is_409(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post(TENANTS, json={"name": tenant.name}, headers=ADMIN)
    assert_error(response, 409, "tenant_exists")
    assert await db.fetchval("SELECT count(*) FROM tenants WHERE name = $1", tenant.name) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "Upper-Case"}, "invalid_input"),
        ({"name": "-leading-dash"}, "invalid_input"),
        ({"name": "x" * 64}, "invalid_input"),
        ({"name": "ok", "retention_days": 0}, "invalid_request"),
        ({"name": "ok", "limits": {"requests_per_minute": 0}}, "invalid_request"),
        ({"name": "ok", "limits": {"unknown": 1}}, "invalid_request"),
        ({"name": "ok", "owner": "me"}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
async def test_invalid_tenant_requests_are_422(
    app_client: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    response = await app_client.post(TENANTS, json=body, headers=ADMIN)
    assert_error(response, 422, code)


async def test_patch_changes_only_what_is_given(app_client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    tenant = await create_tenant(app_client, retention_days=10, limits={"requests_per_minute": 500})
    response = await app_client.patch(f"{TENANTS}/{tenant.id}", json={"retention_days": 365}, headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["retention_days"], body["status"], body["limits"]["requests_per_minute"]) == (365, "active", 500)
    row = await db.fetchrow("SELECT retention_days, status, limits FROM tenants WHERE id = $1", uuid.UUID(tenant.id))
    assert (row["retention_days"], row["status"]) == (365, "active")
    assert orjson.loads(row["limits"])["requests_per_minute"] == 500
    again = await app_client.get(f"{TENANTS}/{tenant.id}", headers=ADMIN)
    assert again.json()["retention_days"] == 365


async def test_patch_unknown_tenant_is_404(app_client: httpx.AsyncClient) -> None:
    response = await app_client.patch(f"{TENANTS}/{uuid.uuid4()}", json={"retention_days": 5}, headers=ADMIN)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("body", [{"status": "deleted"}, {"retention_days": -1}, {"name": "rename"}])
async def test_invalid_patch_is_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, body: dict[str, object]
) -> None:
    response = await app_client.patch(f"{TENANTS}/{tenant.id}", json=body, headers=ADMIN)
    assert_error(response, 422)


async def test_suspended_tenant_is_refused_with_403_and_can_be_reactivated(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    jwt = await issue_token(app_client, tenant.api_key)
    warm = await app_client.post("/api/v1/logs", json={"message": "cached"}, headers=tenant.headers)
    assert warm.status_code == 201  # the tenant is now in the credential cache

    suspended = await app_client.patch(f"{TENANTS}/{tenant.id}", json={"status": "suspended"}, headers=ADMIN)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"

    for credential in (tenant.api_key, jwt):
        response = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=bearer(credential))
        assert_error(response, 403, "tenant_suspended")
    token = await app_client.post("/api/v1/auth/token", json={"api_key": tenant.api_key})
    assert_error(token, 403, "tenant_suspended")
    keys = await app_client.get("/api/v1/keys", headers=tenant.headers)
    assert_error(keys, 403, "tenant_suspended")
    unaffected = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=other_tenant.headers)
    assert unaffected.status_code == 201

    active = await app_client.patch(f"{TENANTS}/{tenant.id}", json={"status": "active"}, headers=ADMIN)
    assert active.status_code == 200
    back = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
    assert back.status_code == 201, back.text


async def test_admin_creates_a_key_for_a_tenant(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post(
        f"{TENANTS}/{tenant.id}/keys", json={"name": "shipper", "scopes": ["ingest"]}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    key = response.json()
    assert key["scopes"] == ["ingest"]
    assert str(await db.fetchval("SELECT tenant_id FROM api_keys WHERE id = $1", uuid.UUID(key["id"]))) == tenant.id
    ingest = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=bearer(key["api_key"]))
    assert ingest.status_code == 201
    missing = await app_client.post(
        f"{TENANTS}/{uuid.uuid4()}/keys", json={"name": "shipper", "scopes": ["ingest"]}, headers=ADMIN
    )
    assert_error(missing, 404, "not_found")


async def test_patching_one_limit_keeps_the_others(app_client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    """A merge patch: lowering the batch size must not silently lift the tenant's rate limit."""
    tenant = await create_tenant(app_client, limits={"requests_per_minute": 500, "max_batch_events": 100})
    response = await app_client.patch(
        f"{TENANTS}/{tenant.id}", json={"limits": {"max_batch_events": 50}}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert response.json()["limits"] == {"requests_per_minute": 500, "max_batch_events": 50, "max_body_bytes": None}
    stored = orjson.loads(await db.fetchval("SELECT limits FROM tenants WHERE id = $1", uuid.UUID(tenant.id)))
    assert (stored["requests_per_minute"], stored["max_batch_events"]) == (500, 50)
    # An explicit null returns that one limit to the platform default.
    reset = await app_client.patch(
        f"{TENANTS}/{tenant.id}", json={"limits": {"requests_per_minute": None}}, headers=ADMIN
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["limits"] == {"requests_per_minute": None, "max_batch_events": 50, "max_body_bytes": None}
    ok = await app_client.post("/api/v1/logs", json={"message": "x"}, headers=tenant.headers)
    assert ok.headers["X-RateLimit-Limit"] == "6000"
