"""Live streams: the credential watch, the end of a session, and the per-tenant stream cap."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.adapters.memory.event_bus import InProcessEventBus
from src.adapters.memory.stream_slots import InProcessStreamSlots
from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError, Forbidden, RateLimited, Unauthenticated
from src.domain.stream_filter import parse_stream_filter
from src.domain.tenants import Tenant, TenantStatus
from src.usecases.auth_cache import KeyCache, TtlCache
from src.usecases.authenticate import Authenticate, AuthenticateRequest
from src.usecases.create_tenant import CreatedTenant, CreateTenant, CreateTenantRequest
from src.usecases.issue_token import IssueToken, IssueTokenRequest
from src.usecases.live_tail import END, LiveTail
from src.usecases.manage_api_keys import RevokeApiKey
from src.usecases.update_tenant import UpdateTenant, UpdateTenantRequest
from src.usecases.watch_credential import WatchCredential, WatchCredentialRequest
from tests.fakes import FakeUnitOfWorkFactory

SECRET = "unit-test-secret-" + "w" * 40


class Clock:
    """Time that moves only when the watch sleeps: the test controls every second."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.uow = FakeUnitOfWorkFactory()
        self.codec = JoseTokenCodec(issuer="logplane", audience="logplane-api", secret=SECRET, clock=self.clock)
        self.keys: KeyCache = TtlCache(ttl=60)
        self.tenants: TtlCache[UUID, Tenant | None] = TtlCache(ttl=60)
        self.authenticate = Authenticate(self.uow, self.codec, keys=self.keys, tenants=self.tenants)
        self.issue = IssueToken(
            self.authenticate,
            self.codec,
            issuer="logplane",
            audience="logplane-api",
            default_ttl=300,
            max_ttl=900,
            clock=self.clock,
        )
        self.watch = WatchCredential(self.authenticate, interval=5, clock=self.clock, sleep=self.clock.sleep)

    async def tenant(self, name: str = "acme") -> CreatedTenant:
        return await CreateTenant(self.uow, default_retention_days=30).execute(CreateTenantRequest(name=name))

    async def watching(self, credential: str) -> asyncio.Task[DomainError]:
        principal = await self.authenticate.execute(AuthenticateRequest(credential=credential))
        request = WatchCredentialRequest(credential=credential, principal=principal, scope=Scope.READ)
        return asyncio.create_task(self.watch.until_refused(request))


@pytest.fixture
def world() -> World:
    return World()


async def test_a_token_is_refused_at_its_expiry_not_after_the_leeway(world: World) -> None:
    created = await world.tenant()
    token = await world.issue.execute(IssueTokenRequest(api_key=created.api_key, ttl_seconds=12))
    refused = await asyncio.wait_for(await world.watching(token.access_token), 1)
    assert isinstance(refused, Unauthenticated) and refused.code == "token_expired"
    assert world.clock.sleeps == [5, 5, 2]  # checked on the timer, then exactly at exp


async def test_a_revoked_key_ends_the_watch_of_its_tokens_and_itself(world: World) -> None:
    created = await world.tenant()
    other = await world.tenant("other")
    token = (await world.issue.execute(IssueTokenRequest(api_key=created.api_key))).access_token
    watches = [await world.watching(token), await world.watching(created.api_key), await world.watching(other.api_key)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in watches)
    await RevokeApiKey(world.uow, key_cache=world.keys).execute(
        tenant_id=created.tenant.id, key_id=UUID(created.api_key_id)
    )
    for watch in watches[:2]:
        refused = await asyncio.wait_for(watch, 1)
        assert isinstance(refused, Unauthenticated) and refused.code == "revoked_api_key"
    assert not watches[2].done()  # the other tenant's stream goes on
    watches[2].cancel()


async def test_a_suspended_tenant_ends_the_watch_with_forbidden(world: World) -> None:
    created = await world.tenant()
    watch = await world.watching(created.api_key)
    await UpdateTenant(world.uow, tenant_cache=world.tenants).execute(
        UpdateTenantRequest(tenant_id=created.tenant.id, status=TenantStatus.SUSPENDED)
    )
    refused = await asyncio.wait_for(watch, 1)
    assert isinstance(refused, Forbidden) and refused.code == "tenant_suspended"


async def test_an_unavailable_store_does_not_end_the_watch(world: World) -> None:
    created = await world.tenant()
    principal = await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))
    calls = []

    class Flaky(Authenticate):
        async def execute(self, request: AuthenticateRequest) -> Principal:
            calls.append(request)
            if len(calls) < 3:
                raise ConnectionError("database down")
            raise Unauthenticated("this API key was revoked", code="revoked_api_key")

    watch = WatchCredential(
        Flaky(world.uow, world.codec, keys=world.keys, tenants=world.tenants),
        interval=5,
        clock=world.clock,
        sleep=world.clock.sleep,
    )
    request = WatchCredentialRequest(credential=created.api_key, principal=principal, scope=Scope.READ)
    refused = await asyncio.wait_for(watch.until_refused(request), 1)
    assert refused.code == "revoked_api_key" and len(calls) == 3


async def test_ending_a_session_wakes_a_waiting_reader(world: World) -> None:
    created = await world.tenant()
    principal = await world.authenticate.execute(AuthenticateRequest(credential=created.api_key))
    tail = LiveTail(InProcessEventBus(), world.uow, InProcessStreamSlots())
    session = await tail.open(principal=principal, flt=parse_stream_filter({}), since_id=None)
    reader = asyncio.create_task(session.next(60))
    await asyncio.sleep(0)
    session.end(Unauthenticated("revoked", code="revoked_api_key"))
    assert await asyncio.wait_for(reader, 1) is END
    assert await session.next(60) is END
    await session.close()


async def test_a_tenant_holds_at_most_max_streams_and_another_is_unaffected(world: World) -> None:
    a, b = await world.tenant("a"), await world.tenant("b")
    principal_a = await world.authenticate.execute(AuthenticateRequest(credential=a.api_key))
    principal_b = await world.authenticate.execute(AuthenticateRequest(credential=b.api_key))
    tail = LiveTail(InProcessEventBus(), world.uow, InProcessStreamSlots(), max_streams=2)
    flt = parse_stream_filter({})
    held = [await tail.open(principal=principal_a, flt=flt, since_id=None) for _ in range(2)]
    with pytest.raises(RateLimited) as refused:
        await tail.open(principal=principal_a, flt=flt, since_id=None)
    assert refused.value.code == "too_many_streams"
    others = [await tail.open(principal=principal_b, flt=flt, since_id=None) for _ in range(2)]
    await held[0].close()
    await held[0].close()  # twice: the slot is given back once
    again = await tail.open(principal=principal_a, flt=flt, since_id=None)
    with pytest.raises(RateLimited):
        await tail.open(principal=principal_a, flt=flt, since_id=None)
    for session in [held[1], again, *others]:
        await session.close()


def test_a_replay_costs_a_unit_per_page_it_may_read() -> None:
    uow = FakeUnitOfWorkFactory()
    assert LiveTail(InProcessEventBus(), uow, InProcessStreamSlots(), replay_limit=10_000).replay_cost == 10
    assert LiveTail(InProcessEventBus(), uow, InProcessStreamSlots(), replay_limit=10).replay_cost == 1
