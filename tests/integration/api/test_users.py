"""Human users over HTTP: login, session cookie and CSRF, lockout, logout, roles mapped to scopes,
tenant isolation and the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.conftest import TenantHandle, create_tenant
from tests.integration.api.conftest import ADMIN, app_client_with, assert_error, plain_url
from tests.integration.api.users_helpers import PASSWORD, browser, logged_in, login, make_first_admin, make_user


def _cookie_attributes(response: httpx.Response, name: str) -> tuple[str, set[str]]:
    """(value, lower-cased attributes) of one Set-Cookie header."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        cookie_name, _, value = first.partition("=")
        if cookie_name == name:
            return value, {a.lower() for a in attributes}
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


async def test_login_me_logout(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    admin = await make_first_admin(app_client, tenant)
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        response = await login(web, tenant, admin["email"].upper())  # emails compare case-insensitively
        assert response.status_code == 200, response.text
        body = response.json()
        assert {k: body["user"][k] for k in ("id", "email", "role", "tenant_id")} == {
            "id": admin["id"],
            "email": admin["email"],
            "role": "admin",
            "tenant_id": tenant.id,
        }
        assert body["csrf_token"] and web.cookies["logplane_csrf"] == body["csrf_token"]
        me = await web.get("/api/v1/auth/me")
        assert me.status_code == 200, me.text
        got = me.json()
        assert (got["user"]["email"], got["role"], got["tenant_id"], got["tenant_name"], got["via"]) == (
            admin["email"],
            "admin",
            tenant.id,
            tenant.name,
            "session",
        )
        assert set(got["scopes"]) == {"read", "edit", "ingest", "admin"}
        # The tenant id works in place of its name.
        by_id = await web.post(
            "/api/v1/auth/login", json={"tenant": tenant.id, "email": admin["email"], "password": PASSWORD}
        )
        assert by_id.status_code == 200
        out = await web.post("/api/v1/auth/logout", headers={"X-CSRF-Token": by_id.json()["csrf_token"]})
        assert out.status_code == 204
    # The revoked session stays revoked even when the cookie is sent again by hand.
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        first = await login(web, tenant, admin["email"])
        secret = web.cookies["logplane_session"]
        csrf = {"X-CSRF-Token": first.json()["csrf_token"]}
        assert (await web.post("/api/v1/auth/logout", headers=csrf)).status_code == 204
    async with browser(app_client.app) as replay:  # type: ignore[attr-defined]
        replay.cookies.set("logplane_session", secret)
        assert_error(await replay.get("/api/v1/auth/me"), 401, "invalid_session")
        assert_error(await replay.get("/api/v1/saved-searches"), 401, "invalid_session")


async def test_me_with_an_api_key(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    got = (await app_client.get("/api/v1/auth/me", headers=tenant.headers)).json()
    assert (got["user"], got["role"], got["via"], got["tenant_name"]) == (None, None, "api_key", tenant.name)


async def test_session_cookie_flags(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    admin = await make_first_admin(app_client, tenant)
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        response = await login(web, tenant, admin["email"])
    session_value, session = _cookie_attributes(response, "logplane_session")
    assert session_value.startswith("lps_")
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= session
    assert any(a.startswith("max-age=") for a in session)
    csrf_value, csrf = _cookie_attributes(response, "logplane_csrf")
    assert csrf_value == response.json()["csrf_token"]
    assert "httponly" not in csrf and {"secure", "samesite=strict", "path=/"} <= csrf


async def test_no_secure_flag_in_dev(postgres_url: str, redis_url: str, app_client: httpx.AsyncClient) -> None:
    tenant = await create_tenant(app_client)
    admin = await make_first_admin(app_client, tenant)
    async with app_client_with(postgres_url, redis_url, auth__env="dev") as dev:
        response = await login(dev, tenant, admin["email"])
        assert response.status_code == 200, response.text
        _, session = _cookie_attributes(response, "logplane_session")
        assert "secure" not in session and {"httponly", "samesite=strict"} <= session
        # Plain http in dev: the cookie comes back and works.
        assert (await dev.get("/api/v1/auth/me")).status_code == 200


async def test_csrf_is_required_for_cookie_authenticated_changes(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    editor = await make_user(app_client, tenant, "editor")
    search = {"name": f"s-{uuid.uuid4().hex[:6]}", "query": "service:billing"}
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        csrf = await logged_in(web, tenant, editor["email"])
        assert_error(await web.post("/api/v1/saved-searches", json=search), 403, "csrf_failed")
        token = csrf["X-CSRF-Token"]
        # Its first character changed (to another one: a token starting with "x" stayed right, 1 in 64).
        wrong = {"X-CSRF-Token": ("y" if token[0] == "x" else "x") + token[1:]}
        assert_error(await web.post("/api/v1/saved-searches", json=search, headers=wrong), 403, "csrf_failed")
        created = await web.post("/api/v1/saved-searches", json=search, headers=csrf)
        assert created.status_code == 201, created.text
        assert_error(await web.delete(f"/api/v1/saved-searches/{created.json()['id']}"), 403, "csrf_failed")
        assert_error(await web.post("/api/v1/auth/logout"), 403, "csrf_failed")
        # Reads need no token.
        assert (await web.get("/api/v1/saved-searches")).status_code == 200
        # A header credential is not cookie-authenticated: no CSRF token needed, cookie or not.
        keyed = await web.post(
            "/api/v1/saved-searches", json={**search, "name": search["name"] + "-k"}, headers=tenant.headers
        )
        assert keyed.status_code == 201, keyed.text


async def test_lockout_after_repeated_failures(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    viewer = await make_user(app_client, tenant, "viewer")
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        refusals = []
        for _ in range(5):
            refusals.append(assert_error(await login(web, tenant, viewer["email"], "wrong password!!"), 401))
        # Locked now: the right password is refused too, with the same answer.
        refusals.append(assert_error(await login(web, tenant, viewer["email"]), 401))
        # Nothing tells a locked account from an unknown user or tenant.
        refusals.append(assert_error(await login(web, tenant, "nobody@example.com"), 401))
        gone = await web.post(
            "/api/v1/auth/login", json={"tenant": "no-such-tenant", "email": viewer["email"], "password": PASSWORD}
        )
        refusals.append(assert_error(gone, 401))
        assert {(r["code"], r["message"], str(r["details"])) for r in refusals} == {
            (refusals[0]["code"], refusals[0]["message"], "None")
        }
        assert refusals[0]["code"] == "invalid_credentials"
        assert "logplane_session" not in web.cookies
    row = await db.fetchrow(
        "SELECT failed_attempts, locked_until FROM users WHERE tenant_id = $1 AND id = $2",
        uuid.UUID(tenant.id),
        uuid.UUID(viewer["id"]),
    )
    assert row["failed_attempts"] == 5
    assert row["locked_until"] > datetime.now(UTC)
    listed = (await app_client.get("/api/v1/users", headers=tenant.headers)).json()["items"]
    assert next(u for u in listed if u["id"] == viewer["id"])["locked"] is True
    # An admin's password reset unlocks the account.
    new_password = "another long passphrase"
    reset = await app_client.patch(
        f"/api/v1/users/{viewer['id']}", json={"password": new_password}, headers=tenant.headers
    )
    assert reset.status_code == 200 and reset.json()["locked"] is False
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        assert (await login(web, tenant, viewer["email"], new_password)).status_code == 200


async def test_an_expired_lock_lets_the_user_in_and_resets_the_count(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    viewer = await make_user(app_client, tenant, "viewer")
    await db.execute(
        "UPDATE users SET failed_attempts = 7, locked_until = $3 WHERE tenant_id = $1 AND id = $2",
        uuid.UUID(tenant.id),
        uuid.UUID(viewer["id"]),
        datetime.now(UTC) - timedelta(seconds=1),
    )
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        assert (await login(web, tenant, viewer["email"])).status_code == 200
    count = await db.fetchval(
        "SELECT failed_attempts FROM users WHERE tenant_id = $1 AND id = $2",
        uuid.UUID(tenant.id),
        uuid.UUID(viewer["id"]),
    )
    assert count == 0


async def test_viewer_cannot_reach_admin_routes(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    viewer = await make_user(app_client, tenant, "viewer")
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        csrf = await logged_in(web, tenant, viewer["email"])
        assert (await web.get("/api/v1/saved-searches")).status_code == 200
        assert (await web.get("/api/v1/auth/me")).json()["scopes"] == ["read"]
        for method, path, body in (
            ("GET", "/api/v1/users", None),
            ("POST", "/api/v1/users", {"email": "x@example.com", "role": "admin", "password": PASSWORD}),
            ("GET", "/api/v1/keys", None),
            ("POST", "/api/v1/keys", {"name": "mine", "scopes": ["admin"]}),
            ("GET", "/api/v1/audit", None),
            ("GET", "/api/v1/tenant", None),
            ("POST", "/api/v1/parsers", {"name": "p1", "pattern": "(?P<message>.*)"}),
            ("POST", "/api/v1/logs", {"message": "from a viewer"}),
        ):
            response = await web.request(method, path, json=body, headers=csrf)
            assert_error(response, 403, "missing_scope")
        # Nor the platform admin's routes.
        assert (await web.get("/api/v1/tenants")).status_code == 401


async def test_editor_can_save_searches_and_parsers_but_not_create_keys(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    editor = await make_user(app_client, tenant, "editor")
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        csrf = await logged_in(web, tenant, editor["email"])
        saved = await web.post("/api/v1/saved-searches", json={"name": "mine", "query": "error"}, headers=csrf)
        assert saved.status_code == 201, saved.text
        parser = await web.post(
            "/api/v1/parsers", json={"name": "editor-p", "pattern": "(?P<message>.*)"}, headers=csrf
        )
        assert parser.status_code == 201, parser.text
        assert (await web.delete("/api/v1/parsers/editor-p", headers=csrf)).status_code == 204
        assert_error(await web.post("/api/v1/keys", json={"name": "k", "scopes": ["read"]}, headers=csrf), 403)
        assert_error(await web.get("/api/v1/users"), 403, "missing_scope")


async def test_role_changes_apply_to_open_sessions_and_disabling_ends_them(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await make_first_admin(app_client, tenant)  # so the promoted user is not the last admin
    user = await make_user(app_client, tenant, "viewer")
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        await logged_in(web, tenant, user["email"])
        assert (await web.get("/api/v1/users")).status_code == 403
        promoted = await app_client.patch(f"/api/v1/users/{user['id']}", json={"role": "admin"}, headers=tenant.headers)
        assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
        assert (await web.get("/api/v1/users")).status_code == 200
        disabled = await app_client.patch(
            f"/api/v1/users/{user['id']}", json={"disabled": True}, headers=tenant.headers
        )
        assert disabled.status_code == 200
        assert_error(await web.get("/api/v1/auth/me"), 401, "invalid_session")
        assert_error(await login(web, tenant, user["email"]), 401, "invalid_credentials")


async def test_user_management_rules(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    admin = await make_first_admin(app_client, tenant)
    again = await app_client.post(
        "/api/v1/users", json={"email": admin["email"].upper(), "role": "viewer"}, headers=tenant.headers
    )
    assert_error(again, 409, "user_exists")
    assert_error(
        await app_client.post(
            "/api/v1/users",
            json={"email": "short@example.com", "role": "viewer", "password": "short"},
            headers=tenant.headers,
        ),
        422,
    )
    assert_error(
        await app_client.post(
            "/api/v1/users", json={"email": "not-an-email", "role": "viewer"}, headers=tenant.headers
        ),
        422,
    )
    assert_error(
        await app_client.post(
            "/api/v1/users", json={"email": "a@example.com", "role": "owner"}, headers=tenant.headers
        ),
        422,
    )
    # The last enabled admin cannot be demoted, disabled or deleted.
    path = f"/api/v1/users/{admin['id']}"
    assert_error(await app_client.patch(path, json={"role": "viewer"}, headers=tenant.headers), 409, "last_admin")
    assert_error(await app_client.patch(path, json={"disabled": True}, headers=tenant.headers), 409, "last_admin")
    assert_error(await app_client.delete(path, headers=tenant.headers), 409, "last_admin")
    assert_error(await app_client.patch(path, json={}, headers=tenant.headers), 422)
    second = await make_user(app_client, tenant, "admin")
    assert (await app_client.delete(path, headers=tenant.headers)).status_code == 204
    assert_error(await app_client.delete(path, headers=tenant.headers), 404)
    listed = (await app_client.get("/api/v1/users", headers=tenant.headers)).json()["items"]
    assert [u["id"] for u in listed] == [second["id"]]
    assert all("password" not in key for u in listed for key in u)
    # The platform admin route: unknown tenant 404, no admin token 401.
    body = {"email": "first@example.com", "role": "admin", "password": PASSWORD}
    assert_error(await app_client.post(f"/api/v1/tenants/{uuid.uuid4()}/users", json=body, headers=ADMIN), 404)
    assert_error(await app_client.post(f"/api/v1/tenants/{tenant.id}/users", json=body, headers=tenant.headers), 401)


async def test_a_user_of_tenant_b_sees_nothing_of_tenant_a(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    a_admin = await make_first_admin(app_client, tenant)
    a_search = await app_client.post(
        "/api/v1/saved-searches", json={"name": "a-only", "query": "x"}, headers=tenant.headers
    )
    assert a_search.status_code == 201
    b_admin = await make_first_admin(app_client, other_tenant)
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        # A's user cannot log in to B, nor B's to A.
        assert_error(await login(web, other_tenant, a_admin["email"]), 401, "invalid_credentials")
        assert_error(await login(web, tenant, b_admin["email"]), 401, "invalid_credentials")
        csrf = await logged_in(web, other_tenant, b_admin["email"])
        users = (await web.get("/api/v1/users")).json()["items"]
        assert [u["id"] for u in users] == [b_admin["id"]]
        assert (await web.get("/api/v1/saved-searches")).json()["items"] == []
        assert (await web.get(f"/api/v1/saved-searches/{a_search.json()['id']}")).status_code == 404
        assert_error(await web.patch(f"/api/v1/users/{a_admin['id']}", json={"role": "viewer"}, headers=csrf), 404)
        assert_error(await web.delete(f"/api/v1/users/{a_admin['id']}", headers=csrf), 404)
        audit = (await web.get("/api/v1/audit")).json()["items"]
        assert audit and all(e["target"] != f"user:{a_admin['email']}" for e in audit)
        assert (await web.get("/api/v1/auth/me")).json()["tenant_id"] == other_tenant.id


async def test_admin_actions_are_audited(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    admin = await make_first_admin(app_client, tenant)
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        csrf = await logged_in(web, tenant, admin["email"])
        key = await web.post("/api/v1/keys", json={"name": "ci", "scopes": ["ingest"]}, headers=csrf)
        assert key.status_code == 201, key.text
        assert (await web.delete(f"/api/v1/keys/{key.json()['id']}", headers=csrf)).status_code == 204
        viewer = await web.post(
            "/api/v1/users", json={"email": "v@example.com", "role": "viewer", "password": PASSWORD}, headers=csrf
        )
        assert viewer.status_code == 201, viewer.text
        patched = await web.patch(f"/api/v1/users/{viewer.json()['id']}", json={"role": "editor"}, headers=csrf)
        assert patched.status_code == 200
        assert (await web.delete(f"/api/v1/users/{viewer.json()['id']}", headers=csrf)).status_code == 204
        before = (datetime.now(UTC) - timedelta(days=30)).isoformat()
        cleanup = await web.delete("/api/v1/logs/cleanup", params={"before": before}, headers=csrf)
        assert cleanup.status_code == 202, cleanup.text
        restore = await web.post(
            "/api/v1/logs/restore",
            json={"from": (datetime.now(UTC) - timedelta(days=3)).isoformat(), "to": before},
            headers=csrf,
        )
        assert restore.status_code in (202, 422), restore.text
    own = await app_client.get("/api/v1/tenant", headers=tenant.headers)
    assert own.status_code == 200 and own.json()["id"] == tenant.id
    retention = await app_client.patch(
        f"/api/v1/tenants/{tenant.id}",
        json={"retention_days": 9, "limits": {"requests_per_minute": 1234}},
        headers=ADMIN,
    )
    assert retention.status_code == 200, retention.text
    after = (await app_client.get("/api/v1/tenant", headers=tenant.headers)).json()
    assert (after["retention_days"], after["limits"]["requests_per_minute"]) == (9, 1234)
    entries = (await app_client.get("/api/v1/audit", params={"limit": 50}, headers=tenant.headers)).json()["items"]
    actions = [(e["actor"], e["action"]) for e in reversed(entries)]
    me = f"user:{admin['email']}"
    assert actions[:7] == [
        ("platform-admin", "user.create"),
        (me, "key.create"),
        (me, "key.revoke"),
        (me, "user.create"),
        (me, "user.update"),
        (me, "user.delete"),
        (me, "logs.cleanup"),
    ]
    assert actions[-1] == ("platform-admin", "tenant.update")
    update = entries[0]
    assert update["details"]["retention_days"]["to"] == 9
    assert update["details"]["limits"]["requests_per_minute"]["to"] == 1234
    revoke = next(e for e in entries if e["action"] == "key.revoke")
    assert revoke["target"] == f"key:{key.json()['id']}"
    role_change = next(e for e in entries if e["action"] == "user.update")
    assert role_change["details"]["role"] == {"from": "viewer", "to": "editor"}
    # from/to and limit narrow the list; newest first.
    newest = (await app_client.get("/api/v1/audit", params={"limit": 1}, headers=tenant.headers)).json()["items"]
    assert [e["id"] for e in newest] == [entries[0]["id"]]
    later = (await app_client.get("/api/v1/audit", params={"from": "now+1h"}, headers=tenant.headers)).json()
    assert later["items"] == []
    assert_error(await app_client.get("/api/v1/audit", params={"limit": 0}, headers=tenant.headers), 422)


async def test_audit_log_is_append_only_for_the_application(db: asyncpg.Connection) -> None:
    grants = await db.fetch(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE grantee = 'logplane_app' AND table_name = 'audit_log'"
    )
    assert {g["privilege_type"] for g in grants} == {"SELECT", "INSERT"}


async def test_row_level_security_hides_other_tenants_users_sessions_and_audit(
    postgres_url: str, app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    for t in (tenant, other_tenant):
        admin = await make_first_admin(app_client, t)
        async with browser(app_client.app) as web:  # type: ignore[attr-defined]
            await logged_in(web, t, admin["email"])
    conn = await asyncpg.connect(plain_url(postgres_url), server_settings={"role": "logplane_app"})
    try:
        for table in ("users", "user_sessions", "audit_log"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table  # no tenant set
        await conn.execute("SELECT set_config('logplane.tenant_id', $1, false)", other_tenant.id)
        for table in ("users", "user_sessions", "audit_log"):
            seen = {str(r["tenant_id"]) for r in await conn.fetch(f"SELECT tenant_id FROM {table}")}
            assert seen == {other_tenant.id}, table
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM audit_log")
    finally:
        await conn.close()
