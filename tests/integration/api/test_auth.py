"""Credentials: API keys, JWTs, scopes, revocation, and the error each refusal answers with."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from jose import jwt as jose_jwt

from tests.conftest import ADMIN_TOKEN, TenantHandle
from tests.integration.api.conftest import assert_error, bearer, count_logs, create_key, issue_token
from tests.polling import eventually

LOGS = "/api/v1/logs"
KEYS = "/api/v1/keys"


def _jwt_secret(client: httpx.AsyncClient) -> str:
    secret: str = client.app.state.container.settings.auth.jwt_secret.get_secret_value()  # type: ignore[attr-defined]
    return secret


def _claims(tenant_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "test",
        "tid": tenant_id,
        "scope": "ingest read admin",
        "iat": now,
        "exp": now + 300,
        "iss": "logplane",
        "aud": "logplane-api",
    }
    claims.update(changes)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_hand_made_token_with_the_right_secret_is_accepted(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    """The control for the refusals below: only the one thing each of them changes is wrong."""
    token = jose_jwt.encode(_claims(tenant.id), _jwt_secret(app_client), algorithm="HS256")
    response = await app_client.post(LOGS, json={"message": "ok"}, headers=bearer(token))
    assert response.status_code == 201, response.text
    assert await count_logs(db, tenant.id) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer "}, {"X-API-Key": ""}],
)
async def test_no_credential_is_401(app_client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await app_client.post(LOGS, json={"message": "x"}, headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_missing_credential_code(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(LOGS, json={"message": "x"})
    assert_error(response, 401, "missing_credential")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearer"])
async def test_unknown_authorization_scheme_is_401(app_client: httpx.AsyncClient, header: str) -> None:
    response = await app_client.post(LOGS, json={"message": "x"}, headers={"Authorization": header})
    assert_error(response, 401, "invalid_authorization")


async def test_apikey_scheme_is_accepted(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await app_client.post(LOGS, json={"message": "x"}, headers={"Authorization": f"ApiKey {tenant.api_key}"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("credential", ["lp_" + "A" * 43, "lp_", "lp_short"])
async def test_unknown_api_key_is_401(app_client: httpx.AsyncClient, credential: str) -> None:
    response = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(credential))
    assert_error(response, 401, "invalid_api_key")
    token = await app_client.post("/api/v1/auth/token", json={"api_key": credential})
    assert_error(token, 401, "invalid_api_key")


async def test_revoked_key_is_401_at_once(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    created = await create_key(app_client, tenant.api_key, ["ingest"])
    assert created["api_key"].startswith("lp_") and created["scopes"] == ["ingest"]
    works = await app_client.post(LOGS, json={"message": "before"}, headers=bearer(created["api_key"]))
    assert works.status_code == 201, works.text  # and the key is now cached

    revoked = await app_client.delete(f"{KEYS}/{created['id']}", headers=tenant.headers)
    assert revoked.status_code == 204, revoked.text
    assert await db.fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", uuid.UUID(created["id"])) is not None

    response = await app_client.post(LOGS, json={"message": "after"}, headers=bearer(created["api_key"]))
    assert_error(response, 401, "revoked_api_key")
    token = await app_client.post("/api/v1/auth/token", json={"api_key": created["api_key"]})
    assert_error(token, 401, "revoked_api_key")
    assert await count_logs(db, tenant.id) == 1
    # Revoking twice finds no live key.
    again = await app_client.delete(f"{KEYS}/{created['id']}", headers=tenant.headers)
    assert_error(again, 404, "not_found")
    # The tenant's other keys keep working.
    other = await app_client.post(LOGS, json={"message": "admin key"}, headers=tenant.headers)
    assert other.status_code == 201


async def test_revoked_key_is_refused_by_another_process_after_the_cache_ttl(
    app_client: httpx.AsyncClient, tenant: TenantHandle, postgres_url: str, redis_url: str
) -> None:
    """A revocation made elsewhere: this process learns it from PostgreSQL once its cache expires."""
    from tests.integration.api.conftest import app_client_with

    created = await create_key(app_client, tenant.api_key, ["ingest"])
    async with app_client_with(postgres_url, redis_url, auth__credential_cache_seconds=0.2) as other:
        first = await other.post(LOGS, json={"message": "cached"}, headers=bearer(created["api_key"]))
        assert first.status_code == 201, first.text
        revoked = await app_client.delete(f"{KEYS}/{created['id']}", headers=tenant.headers)
        assert revoked.status_code == 204

        async def refused() -> httpx.Response | None:
            response = await other.post(LOGS, json={"message": "stale"}, headers=bearer(created["api_key"]))
            return response if response.status_code != 201 else None

        response = await eventually(refused, within=10, what="the revocation reaches the other process")
        assert_error(response, 401, "revoked_api_key")


async def test_expired_token_is_401(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    now = int(time.time())
    token = jose_jwt.encode(
        _claims(tenant.id, iat=now - 1000, exp=now - 600), _jwt_secret(app_client), algorithm="HS256"
    )
    response = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(token))
    assert_error(response, 401, "token_expired")


async def test_token_with_another_tenant_swapped_in_is_401(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    token = await issue_token(app_client, tenant.api_key)
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tid"] = other_tenant.id
    forged = f"{header}.{_b64(orjson.dumps(claims))}.{signature}"
    response = await app_client.post(LOGS, json={"message": "forged"}, headers=bearer(forged))
    assert_error(response, 401, "invalid_token")
    assert await count_logs(db, other_tenant.id) == 0


async def test_token_with_a_tampered_signature_is_401(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    token = await issue_token(app_client, tenant.api_key)
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    response = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(f"{header}.{payload}.{flipped}"))
    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda t, s: jose_jwt.encode(_claims(t), "another-secret-" + "z" * 40, algorithm="HS256"), "invalid_token"),
        (lambda t, s: jose_jwt.encode(_claims(t), s, algorithm="HS512"), "algorithm_not_allowed"),
        (
            lambda t, s: _b64(orjson.dumps({"alg": "none", "typ": "JWT"})) + "." + _b64(orjson.dumps(_claims(t))) + ".",
            "algorithm_not_allowed",
        ),
        (lambda t, s: jose_jwt.encode(_claims(t, aud="someone-else"), s, algorithm="HS256"), "invalid_audience"),
        (lambda t, s: jose_jwt.encode(_claims(t, iss="someone-else"), s, algorithm="HS256"), "invalid_issuer"),
        (lambda t, s: jose_jwt.encode({**_claims(t), "tid": None}, s, algorithm="HS256"), None),
        (lambda t, s: "not-a-jwt", "invalid_token"),
    ],
    ids=["wrong-secret", "unpinned-alg", "alg-none", "audience", "issuer", "no-tenant", "garbage"],
)
async def test_untrustworthy_tokens_are_401(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, make: Any, code: str | None
) -> None:
    token = make(tenant.id, _jwt_secret(app_client))
    response = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(token))
    assert_error(response, 401, code)
    assert await count_logs(db, tenant.id) == 0


async def test_token_for_a_tenant_that_does_not_exist_is_401(app_client: httpx.AsyncClient) -> None:
    token = jose_jwt.encode(_claims(str(uuid.uuid4())), _jwt_secret(app_client), algorithm="HS256")
    response = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(token))
    assert_error(response, 401, "unknown_tenant")


async def test_a_token_cannot_be_exchanged_for_a_token(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    token = await issue_token(app_client, tenant.api_key)
    response = await app_client.post("/api/v1/auth/token", json={"api_key": token})
    assert_error(response, 401, "invalid_api_key")


async def test_token_endpoint_takes_the_key_from_headers_too(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    by_header = await app_client.post("/api/v1/auth/token", headers={"X-API-Key": tenant.api_key})
    assert by_header.status_code == 200, by_header.text
    by_bearer = await app_client.post("/api/v1/auth/token", headers=tenant.headers)
    assert by_bearer.status_code == 200, by_bearer.text
    missing = await app_client.post("/api/v1/auth/token", json={})
    assert_error(missing, 401, "missing_credential")


async def test_token_scopes_can_be_narrowed_never_widened(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    narrow = await issue_token(app_client, tenant.api_key, scopes=["ingest"])
    ingest = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(narrow))
    assert ingest.status_code == 201, ingest.text
    admin = await app_client.get(KEYS, headers=bearer(narrow))
    assert_error(admin, 403, "missing_scope")

    ingest_key = await create_key(app_client, tenant.api_key, ["ingest"])
    widened = await app_client.post("/api/v1/auth/token", json={"api_key": ingest_key["api_key"], "scopes": ["admin"]})
    error = assert_error(widened, 403, "scope_not_granted")
    assert error["details"] == {"requested": ["admin"], "granted": ["ingest"]}


@pytest.mark.parametrize(("ttl", "status"), [(60, 200), (3600, 200), (3601, 422), (0, 422)])
async def test_token_lifetime_is_bounded(
    app_client: httpx.AsyncClient, tenant: TenantHandle, ttl: int, status: int
) -> None:
    response = await app_client.post("/api/v1/auth/token", json={"api_key": tenant.api_key, "ttl_seconds": ttl})
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()["expires_in"] == ttl
        claims = jose_jwt.get_unverified_claims(response.json()["access_token"])
        assert claims["exp"] - claims["iat"] == ttl
        assert claims["tid"] == tenant.id
    else:
        assert_error(response, status)


async def test_ingest_only_key_cannot_use_admin_routes(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    key = await create_key(app_client, tenant.api_key, ["ingest"])
    for response in (
        await app_client.get(KEYS, headers=bearer(key["api_key"])),
        await app_client.post(KEYS, json={"name": "sneaky", "scopes": ["admin"]}, headers=bearer(key["api_key"])),
        await app_client.delete(f"{KEYS}/{key['id']}", headers=bearer(key["api_key"])),
    ):
        error = assert_error(response, 403, "missing_scope")
        assert error["details"] == {"scope": "admin"}
    ok = await app_client.post(LOGS, json={"message": "x"}, headers=bearer(key["api_key"]))
    assert ok.status_code == 201


@pytest.mark.parametrize("path", [LOGS, f"{LOGS}/bulk"])
async def test_read_only_key_cannot_ingest(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, path: str
) -> None:
    key = await create_key(app_client, tenant.api_key, ["read"])
    body: Any = {"message": "x"} if path == LOGS else [{"message": "x"}]
    for credential in (key["api_key"], await issue_token(app_client, key["api_key"])):
        response = await app_client.post(path, json=body, headers=bearer(credential))
        error = assert_error(response, 403, "missing_scope")
        assert error["details"] == {"scope": "ingest"}
    assert await count_logs(db, tenant.id) == 0


async def test_tenant_admin_manages_keys_and_never_sees_secrets(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    created = await create_key(app_client, tenant.api_key, ["read", "ingest"])
    assert created["scopes"] == ["ingest", "read"]
    stored = await db.fetchrow("SELECT key_hash, scopes FROM api_keys WHERE id = $1", uuid.UUID(created["id"]))
    import hashlib

    assert bytes(stored["key_hash"]) == hashlib.sha256(created["api_key"].encode()).digest()
    assert sorted(stored["scopes"]) == ["ingest", "read"]

    listed = await app_client.get(KEYS, headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert {i["id"] for i in items} >= {created["id"]}
    assert len(items) == 2  # the initial admin key and this one
    assert created["api_key"] not in listed.text
    for item in items:
        assert set(item) == {"id", "name", "scopes", "created_at", "revoked_at"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "k", "scopes": ["superuser"]},
        {"name": "k", "scopes": []},
        {"name": "", "scopes": ["read"]},
        {"scopes": ["read"]},
    ],
)
async def test_invalid_key_requests_are_422(app_client: httpx.AsyncClient, tenant: TenantHandle, body: Any) -> None:
    response = await app_client.post(KEYS, json=body, headers=tenant.headers)
    assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize("path", ["/api/v1/tenants", f"/api/v1/tenants/{uuid.uuid4()}"])
async def test_tenant_routes_refuse_anything_but_the_admin_token(
    app_client: httpx.AsyncClient, tenant: TenantHandle, path: str
) -> None:
    tenant_jwt = await issue_token(app_client, tenant.api_key)
    for headers in ({}, bearer("wrong-admin-token"), tenant.headers, bearer(tenant_jwt)):
        response = await app_client.get(path, headers=headers)
        assert response.status_code in (401, 403), response.text
        assert_error(response, response.status_code)
    create = await app_client.post("/api/v1/tenants", json={"name": "not-allowed"}, headers=tenant.headers)
    assert_error(create, 401, "invalid_admin_token")


async def test_a_token_dies_with_the_key_it_was_minted_from(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    created = await create_key(app_client, tenant.api_key, ["ingest"])
    token = await issue_token(app_client, created["api_key"])
    other_token = await issue_token(app_client, other_tenant.api_key)
    ok = await app_client.post(LOGS, json={"message": "before"}, headers=bearer(token))
    assert ok.status_code == 201, ok.text
    revoked = await app_client.delete(f"{KEYS}/{created['id']}", headers=tenant.headers)
    assert revoked.status_code == 204
    response = await app_client.post(LOGS, json={"message": "after"}, headers=bearer(token))
    assert_error(response, 401, "revoked_api_key")
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Another tenant's token, and the tenant's other keys, are untouched.
    untouched = await app_client.post(LOGS, json={"message": "other"}, headers=bearer(other_token))
    assert untouched.status_code == 201, untouched.text
    assert (await app_client.post(LOGS, json={"message": "x"}, headers=tenant.headers)).status_code == 201


async def test_a_token_is_refused_by_another_process_once_its_key_is_revoked(
    app_client: httpx.AsyncClient, tenant: TenantHandle, postgres_url: str, redis_url: str
) -> None:
    from tests.integration.api.conftest import app_client_with

    created = await create_key(app_client, tenant.api_key, ["ingest"])
    token = await issue_token(app_client, created["api_key"])
    async with app_client_with(postgres_url, redis_url, auth__credential_cache_seconds=0.5) as other:
        first = await other.post(LOGS, json={"message": "cached"}, headers=bearer(token))
        assert first.status_code == 201, first.text
        assert (await app_client.delete(f"{KEYS}/{created['id']}", headers=tenant.headers)).status_code == 204
        loop = asyncio.get_running_loop()
        revoked_at = loop.time()

        async def refused() -> httpx.Response | None:
            response = await other.post(LOGS, json={"message": "stale"}, headers=bearer(token))
            return response if response.status_code != 201 else None

        response = await eventually(refused, within=10, what="the other process refuses the token")
        assert_error(response, 401, "revoked_api_key")
        # The bound is the cache TTL; the margin is for a busy machine.
        assert loop.time() - revoked_at < 0.5 + 3


async def test_a_suspended_tenants_token_is_403_and_comes_back_with_reactivation(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    token = await issue_token(app_client, tenant.api_key)
    admin = bearer(ADMIN_TOKEN)
    path = f"/api/v1/tenants/{tenant.id}"
    assert (await app_client.patch(path, json={"status": "suspended"}, headers=admin)).status_code == 200
    assert_error(await app_client.post(LOGS, json={"message": "x"}, headers=bearer(token)), 403, "tenant_suspended")
    assert (await app_client.patch(path, json={"status": "active"}, headers=admin)).status_code == 200
    assert (await app_client.post(LOGS, json={"message": "x"}, headers=bearer(token))).status_code == 201
