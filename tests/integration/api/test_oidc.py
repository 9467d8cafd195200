"""OpenID Connect login against a real provider (oidc-provider-mock, in a thread): authorization
code with PKCE, ID token verified by the provider's keys, session as after a password login."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import SecretStr

from src.entrypoints.http.oidc_cookie import signing_key, unseal
from tests.conftest import ADMIN_TOKEN, TenantHandle, create_tenant, make_settings
from tests.integration.api.conftest import assert_error
from tests.integration.api.users_helpers import browser

CALLBACK = "https://logplane.test/api/v1/auth/oidc/callback"
OIDC_SECRET = "oidc-client-secret-" + "c" * 24
JWT_SECRET = "test-jwt-secret-" + "y" * 40  # what make_settings sets


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
async def oidc_app(postgres_url: str, redis_url: str, issuer: str) -> AsyncIterator[object]:
    from src.entrypoints.http.app import make_app

    settings = make_settings(
        postgres_url,
        redis_url,
        oidc__issuer=issuer,
        oidc__client_id="logplane-console",
        oidc__client_secret=SecretStr(OIDC_SECRET),
        oidc__redirect_uri=CALLBACK,
    )
    app = make_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def _provider_user(issuer: str, email: str, *, verified: bool = True) -> str:
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    response = httpx.put(f"{issuer}/users/{quote(sub)}", json={"email": email, "email_verified": verified})
    assert response.status_code == 204, response.text
    return sub


async def _sign_in_at_provider(web: httpx.AsyncClient, tenant: TenantHandle, sub: str) -> httpx.URL:
    """Start at logplane, sign in at the provider as `sub`; returns the callback URL it sends back."""
    start = await web.get("/api/v1/auth/oidc/login", params={"tenant": tenant.name})
    assert start.status_code == 302, start.text
    authorize = httpx.URL(start.headers["location"])
    query = parse_qs(authorize.query.decode())
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == [CALLBACK] and query["state"] and query["nonce"]
    assert "openid" in query["scope"][0].split()
    # The challenge is S256 of the verifier kept in the (signed) pending-login cookie.
    pending = unseal(web.cookies["logplane_oidc"], signing_key(OIDC_SECRET, JWT_SECRET, ADMIN_TOKEN))
    assert pending is not None and pending.state == query["state"][0] and pending.nonce == query["nonce"][0]
    assert query["code_challenge"] == [create_s256_code_challenge(pending.code_verifier)]
    async with httpx.AsyncClient() as provider:
        back = await provider.post(str(authorize), data={"sub": sub})
    assert back.status_code == 302, back.text
    return httpx.URL(back.headers["location"])


async def _callback(web: httpx.AsyncClient, url: httpx.URL) -> httpx.Response:
    parts = urlsplit(str(url))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return await web.get(parts.path, params=parse_qs(parts.query))


async def test_oidc_login_opens_a_session(oidc_app: object, app_client: httpx.AsyncClient, issuer: str) -> None:
    tenant = await create_tenant(app_client)
    email = f"oidc-{uuid.uuid4().hex[:6]}@example.com"
    created = await app_client.post(
        "/api/v1/users", json={"email": email, "role": "editor"}, headers=tenant.headers
    )  # no password: OIDC only
    assert created.status_code == 201, created.text
    sub = _provider_user(issuer, email)
    async with browser(oidc_app) as web:
        # What the console's login page asks before it offers single sign-on.
        assert (await web.get("/api/v1/auth/methods")).json() == {"password": True, "oidc": True}
        back = await _sign_in_at_provider(web, tenant, sub)
        done = await _callback(web, back)
        assert done.status_code == 200, done.text
        assert 'http-equiv="refresh"' in done.text
        me = (await web.get("/api/v1/auth/me")).json()
        assert (me["user"]["email"], me["role"], me["via"], me["tenant_id"]) == (email, "editor", "session", tenant.id)
        csrf = {"X-CSRF-Token": web.cookies["logplane_csrf"]}
        assert (await web.post("/api/v1/auth/logout", headers=csrf)).status_code == 204
        # The code was redeemed once: replaying the callback does not log in again.
        replay = await _callback(web, back)
        assert_error(replay, 401, "oidc_failed")
    # A password login stays impossible for that user.
    async with browser(oidc_app) as web:
        refused = await web.post(
            "/api/v1/auth/login", json={"tenant": tenant.name, "email": email, "password": "anything at all"}
        )
        assert_error(refused, 401, "invalid_credentials")


async def test_oidc_refusals(oidc_app: object, app_client: httpx.AsyncClient, issuer: str) -> None:
    tenant = await create_tenant(app_client)
    other = await create_tenant(app_client)
    email = f"oidc-{uuid.uuid4().hex[:6]}@example.com"
    assert (
        await app_client.post("/api/v1/users", json={"email": email, "role": "viewer"}, headers=other.headers)
    ).status_code == 201
    async with browser(oidc_app) as web:
        # A user of another tenant is nobody here.
        back = await _sign_in_at_provider(web, tenant, _provider_user(issuer, email))
        assert_error(await _callback(web, back), 401, "invalid_credentials")
        # An unverified email is not enough.
        back = await _sign_in_at_provider(web, other, _provider_user(issuer, email, verified=False))
        assert_error(await _callback(web, back), 401, "oidc_failed")
        # A callback whose state is not the pending login's.
        back = await _sign_in_at_provider(web, other, _provider_user(issuer, email))
        forged = back.copy_set_param("state", "not-the-state")
        assert_error(await _callback(web, forged), 401, "oidc_failed")
        assert "logplane_session" not in web.cookies
    # Without the pending-login cookie (another browser) nothing happens either.
    async with browser(oidc_app) as stranger:
        back = await _sign_in_at_provider(stranger, other, _provider_user(issuer, email))
    async with browser(oidc_app) as web:
        assert_error(await _callback(web, back), 401, "oidc_failed")
        assert_error(await web.get("/api/v1/auth/oidc/login", params={"tenant": "no-such"}), 401)


async def test_oidc_is_off_unless_configured(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.get("/api/v1/auth/methods")).json() == {"password": True, "oidc": False}
    off = await app_client.get("/api/v1/auth/oidc/login", params={"tenant": "x"})
    assert_error(off, 404, "oidc_disabled")
    assert_error(await app_client.get("/api/v1/auth/oidc/callback", params={"code": "c", "state": "s"}), 404)
