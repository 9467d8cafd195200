"""OpenID Connect login pieces with a fake provider: state, expiry, verified email, user lookup;
and the signed pending-login cookie."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from src.domain.errors import Forbidden, Unauthenticated
from src.domain.ports.oidc_provider import OidcIdentity, OidcProvider
from src.domain.tenants import TenantStatus
from src.domain.users import Role
from src.entrypoints.http.oidc_cookie import seal, signing_key, unseal
from src.usecases.auth_cache import TtlCache
from src.usecases.create_tenant import CreateTenant, CreateTenantRequest
from src.usecases.manage_users import CreateUser, CreateUserRequest
from src.usecases.oidc_login import FinishOidcLogin, FinishOidcLoginRequest, PendingOidcLogin, StartOidcLogin
from src.usecases.update_tenant import UpdateTenant, UpdateTenantRequest
from tests.fakes import FakePasswordHasher, FakeUnitOfWorkFactory


class FakeOidcProvider(OidcProvider):
    def __init__(self) -> None:
        self.identity = OidcIdentity(subject="s1", email="Ann@Example.com", email_verified=True)
        self.exchanged: list[tuple[str, str, str]] = []

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        return f"https://idp.test/authorize?state={state}"

    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> OidcIdentity:
        self.exchanged.append((code, code_verifier, nonce))
        return self.identity


@pytest.fixture
async def setup() -> tuple[FakeUnitOfWorkFactory, FakeOidcProvider, PendingOidcLogin]:
    uow = FakeUnitOfWorkFactory()
    tenant = (await CreateTenant(uow, default_retention_days=7).execute(CreateTenantRequest(name="acme"))).tenant
    await CreateUser(uow, FakePasswordHasher()).execute(
        CreateUserRequest(tenant_id=tenant.id, email="ann@example.com", role=Role.VIEWER, password=None, actor="t")
    )
    provider = FakeOidcProvider()
    started = await StartOidcLogin(uow, provider).execute("acme")
    assert started.url.endswith(started.pending.state)
    assert 43 <= len(started.pending.code_verifier) <= 128
    return uow, provider, started.pending


async def test_finish_opens_a_session_for_the_admin_created_user(setup) -> None:  # type: ignore[no-untyped-def]
    uow, provider, pending = setup
    finish = FinishOidcLogin(uow, provider, ttl=timedelta(hours=1))
    done = await finish.execute(FinishOidcLoginRequest(pending=pending, state=pending.state, code="c"))
    assert done.user.email == "ann@example.com"
    assert provider.exchanged == [("c", pending.code_verifier, pending.nonce)]


@pytest.mark.parametrize(
    "change",
    [
        lambda p, i: (None, i),  # no pending login (cookie missing or altered)
        lambda p, i: (replace(p, expires_at=int(time.time()) - 1), i),
        lambda p, i: (replace(p, state="other"), i),
        lambda p, i: (p, replace(i, email_verified=None)),
        lambda p, i: (p, replace(i, email=None)),
        lambda p, i: (p, replace(i, email="bob@example.com")),  # no such user in the tenant
        lambda p, i: (replace(p, tenant_id=uuid4()), i),
    ],
)
async def test_refusals(setup, change) -> None:  # type: ignore[no-untyped-def]
    uow, provider, pending = setup
    pending_now, provider.identity = change(pending, provider.identity)
    finish = FinishOidcLogin(uow, provider, ttl=timedelta(hours=1))
    with pytest.raises(Unauthenticated):
        await finish.execute(FinishOidcLoginRequest(pending=pending_now, state=pending.state, code="c"))


async def test_unverified_email_allowed_when_configured_and_suspension_refused(setup) -> None:  # type: ignore[no-untyped-def]
    uow, provider, pending = setup
    provider.identity = replace(provider.identity, email_verified=None)
    finish = FinishOidcLogin(uow, provider, ttl=timedelta(hours=1), require_verified_email=False)
    assert (await finish.execute(FinishOidcLoginRequest(pending=pending, state=pending.state, code="c"))).secret
    await UpdateTenant(uow, tenant_cache=TtlCache(ttl=1)).execute(
        UpdateTenantRequest(tenant_id=pending.tenant_id, status=TenantStatus.SUSPENDED)
    )
    with pytest.raises(Forbidden):
        await finish.execute(FinishOidcLoginRequest(pending=pending, state=pending.state, code="c"))


def test_the_pending_cookie_is_signed() -> None:
    pending = PendingOidcLogin(state="s", nonce="n", code_verifier="v" * 64, tenant_id=uuid4(), expires_at=123)
    key = signing_key("client secret", "jwt secret")
    sealed = seal(pending, key)
    assert unseal(sealed, key) == pending
    assert unseal(sealed, signing_key("another")) is None
    body, _, signature = sealed.partition(".")
    tampered = body[:-2] + ("yy" if body.endswith("xx") else "xx")  # always another body
    assert unseal(tampered + "." + signature, key) is None
    for broken in (None, "", "no-dot", "a.b", sealed + "x"):
        assert unseal(broken, key) is None
