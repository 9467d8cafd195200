from __future__ import annotations

import time
from uuid import UUID

import pytest

from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.domain.credentials import Scope, TokenClaims
from src.domain.errors import Forbidden, InvalidInput, Unauthenticated
from src.domain.tenants import Tenant, TenantStatus
from src.usecases.auth_cache import KeyCache, TtlCache
from src.usecases.authenticate import Authenticate, AuthenticateRequest
from src.usecases.create_tenant import CreateTenant, CreateTenantRequest
from src.usecases.issue_token import IssueToken, IssueTokenRequest
from src.usecases.manage_api_keys import CreateApiKey, CreateApiKeyRequest, RevokeApiKey
from src.usecases.update_tenant import UpdateTenant, UpdateTenantRequest
from tests.fakes import FakeUnitOfWorkFactory

SECRET = "unit-test-secret-" + "z" * 40


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.codec = JoseTokenCodec(issuer="logplane", audience="logplane-api", secret=SECRET)
        self.keys: KeyCache = TtlCache(ttl=60)
        self.tenants: TtlCache[UUID, Tenant | None] = TtlCache(ttl=60)
        self.authenticate = Authenticate(self.uow, self.codec, keys=self.keys, tenants=self.tenants)
        self.issue = IssueToken(
            self.authenticate, self.codec, issuer="logplane", audience="logplane-api", default_ttl=300, max_ttl=900
        )

    async def tenant(self, name: str = "acme"):
        return await CreateTenant(self.uow, default_retention_days=30).execute(CreateTenantRequest(name=name))


@pytest.fixture
def world() -> World:
    return World()


async def test_api_key_and_token_resolve_to_the_same_tenant(world: World) -> None:
    created = await world.tenant()
    by_key = await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))
    token = await world.issue.execute(IssueTokenRequest(api_key=created.api_key, scopes=frozenset({Scope.READ})))
    by_token = await world.authenticate.execute(AuthenticateRequest(credential=token.access_token))
    assert by_key.tenant_id == by_token.tenant_id == created.tenant.id
    assert by_token.scopes == frozenset({Scope.READ})
    assert by_key.via == "api_key" and by_token.via == "jwt"


async def test_token_cannot_widen_scopes_or_outlive_the_maximum(world: World) -> None:
    created = await world.tenant()
    narrow = await CreateApiKey(world.uow).execute(
        CreateApiKeyRequest(tenant_id=created.tenant.id, name="ingest only", scopes=frozenset({Scope.INGEST}))
    )
    with pytest.raises(Forbidden):
        await world.issue.execute(IssueTokenRequest(api_key=narrow.secret, scopes=frozenset({Scope.READ})))
    with pytest.raises(InvalidInput):
        await world.issue.execute(IssueTokenRequest(api_key=narrow.secret, ttl_seconds=901))


async def test_a_token_cannot_mint_tokens(world: World) -> None:
    created = await world.tenant()
    token = await world.issue.execute(IssueTokenRequest(api_key=created.api_key))
    with pytest.raises(Unauthenticated):
        await world.issue.execute(IssueTokenRequest(api_key=token.access_token))


async def test_unknown_and_revoked_keys_are_refused(world: World) -> None:
    created = await world.tenant()
    with pytest.raises(Unauthenticated, match="unknown"):
        await world.authenticate.execute(AuthenticateRequest(credential="lp_nope"))
    await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))  # now cached
    await RevokeApiKey(world.uow, key_cache=world.keys).execute(
        tenant_id=created.tenant.id, key_id=UUID(created.api_key_id)
    )
    with pytest.raises(Unauthenticated, match="revoked"):
        await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))


async def test_a_token_carries_its_key_and_dies_with_it(world: World) -> None:
    created = await world.tenant()
    issued = await world.issue.execute(IssueTokenRequest(api_key=created.api_key))
    claims = await world.codec.verify(issued.access_token)
    assert claims.key_id == UUID(created.api_key_id)
    principal = await world.authenticate.execute(AuthenticateRequest(credential=issued.access_token))
    assert principal.key_id == claims.key_id and principal.expires_at == claims.exp  # cached by id now
    await RevokeApiKey(world.uow, key_cache=world.keys).execute(
        tenant_id=created.tenant.id, key_id=UUID(created.api_key_id)
    )
    with pytest.raises(Unauthenticated) as refused:
        await world.authenticate.execute(AuthenticateRequest(credential=issued.access_token))
    assert refused.value.code == "revoked_api_key"


async def test_a_revocation_made_elsewhere_reaches_tokens_within_the_cache_ttl(world: World) -> None:
    now = [0.0]
    world.keys = TtlCache(ttl=5, clock=lambda: now[0])
    world.authenticate = Authenticate(world.uow, world.codec, keys=world.keys, tenants=world.tenants)
    world.issue = IssueToken(
        world.authenticate, world.codec, issuer="logplane", audience="logplane-api", default_ttl=300, max_ttl=900
    )
    created = await world.tenant()
    token = (await world.issue.execute(IssueTokenRequest(api_key=created.api_key))).access_token
    await world.authenticate.execute(AuthenticateRequest(credential=token))
    other_process_cache: KeyCache = TtlCache(ttl=5)
    await RevokeApiKey(world.uow, key_cache=other_process_cache).execute(
        tenant_id=created.tenant.id, key_id=UUID(created.api_key_id)
    )
    await world.authenticate.execute(AuthenticateRequest(credential=token))  # still cached here
    now[0] = 5.1
    with pytest.raises(Unauthenticated, match="revoked"):
        await world.authenticate.execute(AuthenticateRequest(credential=token))


async def test_a_token_naming_another_tenants_key_is_refused(world: World) -> None:
    a = await world.tenant("a")
    b = await world.tenant("b")
    now = int(time.time())
    forged = world.codec.issue(
        TokenClaims(
            sub="x",
            tid=b.tenant.id,
            scope=frozenset({Scope.READ}),
            iat=now,
            exp=now + 60,
            iss="logplane",
            aud="logplane-api",
            key_id=UUID(a.api_key_id),
        )
    )
    with pytest.raises(Unauthenticated) as refused:
        await world.authenticate.execute(AuthenticateRequest(credential=forged))
    assert refused.value.code == "invalid_api_key"


async def test_a_pre_upgrade_token_is_tied_to_its_key_through_its_subject(world: World) -> None:
    """Tokens minted before the key_id claim carried `sub: key:<id>`: they die with the key too."""
    created = await world.tenant()
    now = int(time.time())
    old = world.codec.issue(
        TokenClaims(
            sub=f"key:{created.api_key_id}",
            tid=created.tenant.id,
            scope=frozenset({Scope.READ}),
            iat=now,
            exp=now + 60,
            iss="logplane",
            aud="logplane-api",
        )
    )
    assert (await world.authenticate.execute(AuthenticateRequest(credential=old))).key_id == UUID(created.api_key_id)
    await RevokeApiKey(world.uow, key_cache=world.keys).execute(
        tenant_id=created.tenant.id, key_id=UUID(created.api_key_id)
    )
    with pytest.raises(Unauthenticated, match="revoked"):
        await world.authenticate.execute(AuthenticateRequest(credential=old))


async def test_an_external_token_without_key_lives_until_expiry_but_not_past_suspension(world: World) -> None:
    created = await world.tenant()
    now = int(time.time())
    external = world.codec.issue(
        TokenClaims(
            sub="svc-1",
            tid=created.tenant.id,
            scope=frozenset({Scope.READ}),
            iat=now,
            exp=now + 60,
            iss="logplane",
            aud="logplane-api",
        )
    )
    principal = await world.authenticate.execute(AuthenticateRequest(credential=external))
    assert principal.key_id is None and principal.expires_at == now + 60
    await UpdateTenant(world.uow, tenant_cache=world.tenants).execute(
        UpdateTenantRequest(tenant_id=created.tenant.id, status=TenantStatus.SUSPENDED)
    )
    with pytest.raises(Forbidden, match="suspended"):
        await world.authenticate.execute(AuthenticateRequest(credential=external))


async def test_a_tenant_cannot_revoke_another_tenants_key(world: World) -> None:
    a = await world.tenant("a")
    b = await world.tenant("b")
    from src.domain.errors import NotFound

    with pytest.raises(NotFound):
        await RevokeApiKey(world.uow, key_cache=world.keys).execute(tenant_id=b.tenant.id, key_id=UUID(a.api_key_id))


async def test_suspended_tenant_is_forbidden_at_once(world: World) -> None:
    created = await world.tenant()
    await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))
    await UpdateTenant(world.uow, tenant_cache=world.tenants).execute(
        UpdateTenantRequest(tenant_id=created.tenant.id, status=TenantStatus.SUSPENDED)
    )
    with pytest.raises(Forbidden, match="suspended"):
        await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))


async def test_tenant_names_are_slugs_and_unique(world: World) -> None:
    from src.domain.errors import Conflict

    with pytest.raises(InvalidInput):
        await world.tenant("Not A Slug")
    await world.tenant("acme")
    with pytest.raises(Conflict):
        await world.tenant("acme")


def test_ttl_cache_expires() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(ttl=5, clock=lambda: now[0])
    cache.put("a", 1)
    assert cache.get("a") == 1
    now[0] = 6
    assert cache.get("a") is None
