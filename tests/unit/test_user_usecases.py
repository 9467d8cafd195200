"""Human users with fakes: login and lockout, sessions as credentials, admin rules, the audit trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.domain.credentials import Scope
from src.domain.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from src.domain.tenants import Tenant, TenantStatus
from src.domain.users import (
    LOCK_AFTER,
    LOCK_BASE,
    LOCK_MAX,
    Role,
    csrf_matches,
    csrf_token_for,
    lock_after_failure,
    new_session_secret,
)
from src.usecases.audit_trail import ListAudit, ListAuditRequest
from src.usecases.auth_cache import KeyCache, TtlCache
from src.usecases.authenticate import Authenticate, AuthenticateRequest
from src.usecases.create_tenant import CreateTenant, CreateTenantRequest
from src.usecases.login import REFUSED, Login, LoginRequest, Logout
from src.usecases.manage_users import CreateUser, CreateUserRequest, DeleteUser, UpdateUser, UpdateUserRequest
from src.usecases.update_tenant import UpdateTenant, UpdateTenantRequest
from tests.fakes import FakePasswordHasher, FakeUnitOfWorkFactory

PASSWORD = "twelve chars or more"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.hasher = FakePasswordHasher()
        self.clock = Clock()
        self.tenants: TtlCache[UUID, Tenant | None] = TtlCache(ttl=60)
        keys: KeyCache = TtlCache(ttl=60)
        codec = JoseTokenCodec(issuer="logplane", audience="logplane-api", secret="s" * 48)
        self.authenticate = Authenticate(self.uow, codec, keys=keys, tenants=self.tenants)
        self.login = Login(self.uow, self.hasher, ttl=timedelta(hours=1), clock=self.clock)
        self.create_user = CreateUser(self.uow, self.hasher)
        self.update_user = UpdateUser(self.uow, self.hasher)

    async def tenant(self, name: str = "acme") -> Tenant:
        return (await CreateTenant(self.uow, default_retention_days=30).execute(CreateTenantRequest(name=name))).tenant

    async def user(self, tenant: Tenant, role: Role = Role.VIEWER, email: str = "ann@example.com") -> UUID:
        created = await self.create_user.execute(
            CreateUserRequest(tenant_id=tenant.id, email=email, role=role, password=PASSWORD, actor="test")
        )
        return created.id

    async def attempt(self, tenant: str, email: str, password: str = PASSWORD) -> Exception | None:
        try:
            await self.login.execute(LoginRequest(tenant=tenant, email=email, password=password))
        except (Unauthenticated, Forbidden) as e:
            return e
        return None


@pytest.fixture
def world() -> World:
    return World()


def test_backoff_doubles_from_the_fifth_failure_and_is_capped() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert [lock_after_failure(n, now) for n in range(LOCK_AFTER)] == [None] * LOCK_AFTER
    assert lock_after_failure(LOCK_AFTER, now) == now + LOCK_BASE
    assert lock_after_failure(LOCK_AFTER + 1, now) == now + 2 * LOCK_BASE
    assert lock_after_failure(LOCK_AFTER + 3, now) == now + 8 * LOCK_BASE
    assert lock_after_failure(LOCK_AFTER + 50, now) == now + LOCK_MAX


def test_csrf_token_is_derived_from_the_session_and_checked_in_constant_time() -> None:
    first, second = new_session_secret(), new_session_secret()
    assert csrf_token_for(first) == csrf_token_for(first) != csrf_token_for(second)
    assert first not in csrf_token_for(first)
    assert csrf_matches(first, csrf_token_for(first))
    assert not csrf_matches(first, csrf_token_for(second))
    assert not csrf_matches(first, None) and not csrf_matches(first, "")


async def test_login_opens_a_session_that_authenticates_with_the_role_scopes(world: World) -> None:
    tenant = await world.tenant()
    await world.user(tenant, Role.EDITOR)
    logged_in = await world.login.execute(LoginRequest(tenant="acme", email=" Ann@Example.com ", password=PASSWORD))
    assert logged_in.csrf_token == csrf_token_for(logged_in.secret)
    principal = await world.authenticate.execute(AuthenticateRequest(credential=logged_in.secret))
    assert (principal.tenant_id, principal.via, principal.email) == (tenant.id, "session", "ann@example.com")
    assert principal.scopes == frozenset({Scope.READ, Scope.EDIT})
    assert principal.has(Scope.EDIT) and not principal.has(Scope.ADMIN) and not principal.has(Scope.INGEST)
    assert principal.actor == "user:ann@example.com"
    await Logout(world.uow).execute(logged_in.secret)
    with pytest.raises(Unauthenticated) as refused:
        await world.authenticate.execute(AuthenticateRequest(credential=logged_in.secret))
    assert refused.value.code == "invalid_session"


async def test_every_refusal_is_the_same_and_costs_one_verification(world: World) -> None:
    tenant = await world.tenant()
    await world.user(tenant)
    cases = [
        ("acme", "ann@example.com", "wrong password"),
        ("acme", "nobody@example.com", PASSWORD),
        ("no-such-tenant", "ann@example.com", PASSWORD),
        (str(tenant.id), "nobody@example.com", PASSWORD),
    ]
    for tenant_ref, email, password in cases:
        before = world.hasher.verifications
        error = await world.attempt(tenant_ref, email, password)
        assert isinstance(error, Unauthenticated)
        assert (error.code, error.message, error.details) == ("invalid_credentials", REFUSED, None)
        assert world.hasher.verifications == before + 1


async def test_lockout_backs_off_and_unlocks_when_it_expires(world: World) -> None:
    tenant = await world.tenant()
    user_id = await world.user(tenant)
    for _ in range(LOCK_AFTER):
        assert isinstance(await world.attempt("acme", "ann@example.com", "wrong"), Unauthenticated)
    locked = world.uow.store.users[(tenant.id, user_id)]
    assert locked.failed_attempts == LOCK_AFTER and locked.locked_until == world.clock.now + LOCK_BASE
    # Locked: the right password is refused, and attempts while locked do not extend the lock.
    assert isinstance(await world.attempt("acme", "ann@example.com"), Unauthenticated)
    assert world.uow.store.users[(tenant.id, user_id)] == locked
    world.clock.now += LOCK_BASE
    # Unlocked again: one more failure locks for twice as long.
    assert isinstance(await world.attempt("acme", "ann@example.com", "wrong"), Unauthenticated)
    relocked = world.uow.store.users[(tenant.id, user_id)]
    assert relocked.locked_until == world.clock.now + 2 * LOCK_BASE
    world.clock.now += 2 * LOCK_BASE
    assert await world.attempt("acme", "ann@example.com") is None
    assert world.uow.store.users[(tenant.id, user_id)].failed_attempts == 0


async def test_success_upgrades_an_outdated_hash(world: World) -> None:
    tenant = await world.tenant()
    user_id = await world.user(tenant)
    world.hasher.version = 2
    assert await world.attempt("acme", "ann@example.com") is None
    assert world.uow.store.users[(tenant.id, user_id)].password_hash == f"fake2${PASSWORD}"


async def test_suspended_tenant_and_disabled_user(world: World) -> None:
    tenant = await world.tenant()
    user_id = await world.user(tenant)
    logged_in = await world.login.execute(LoginRequest(tenant="acme", email="ann@example.com", password=PASSWORD))
    await UpdateTenant(world.uow, tenant_cache=world.tenants).execute(
        UpdateTenantRequest(tenant_id=tenant.id, status=TenantStatus.SUSPENDED)
    )
    assert isinstance(await world.attempt("acme", "ann@example.com"), Forbidden)
    with pytest.raises(Forbidden):
        await world.authenticate.execute(AuthenticateRequest(credential=logged_in.secret))
    await UpdateTenant(world.uow, tenant_cache=world.tenants).execute(
        UpdateTenantRequest(tenant_id=tenant.id, status=TenantStatus.ACTIVE)
    )
    await world.user(tenant, Role.ADMIN, "boss@example.com")
    await world.update_user.execute(UpdateUserRequest(tenant_id=tenant.id, user_id=user_id, actor="t", disabled=True))
    assert isinstance(await world.attempt("acme", "ann@example.com"), Unauthenticated)
    with pytest.raises(Unauthenticated):
        await world.authenticate.execute(AuthenticateRequest(credential=logged_in.secret))


async def test_an_expired_session_is_refused(world: World) -> None:
    tenant = await world.tenant()
    await world.user(tenant)
    logged_in = await world.login.execute(LoginRequest(tenant="acme", email="ann@example.com", password=PASSWORD))
    (key,) = world.uow.store.sessions
    session = world.uow.store.sessions[key]
    world.uow.store.sessions[key] = replace(session, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(Unauthenticated):
        await world.authenticate.execute(AuthenticateRequest(credential=logged_in.secret))


async def test_the_last_enabled_admin_stays(world: World) -> None:
    tenant = await world.tenant()
    admin = await world.user(tenant, Role.ADMIN)
    for change in ({"role": Role.VIEWER}, {"disabled": True}):
        with pytest.raises(Conflict):
            await world.update_user.execute(UpdateUserRequest(tenant_id=tenant.id, user_id=admin, actor="t", **change))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await DeleteUser(world.uow).execute(tenant_id=tenant.id, user_id=admin, actor="t")
    with pytest.raises(InvalidInput):
        await world.update_user.execute(UpdateUserRequest(tenant_id=tenant.id, user_id=admin, actor="t"))


async def test_audit_entries_commit_with_their_action_only(world: World) -> None:
    tenant = await world.tenant()
    await world.user(tenant, Role.ADMIN)
    with pytest.raises(Conflict):
        await world.user(tenant, Role.VIEWER)  # same email: refused, and nothing is recorded
    logged_in = await world.login.execute(LoginRequest(tenant="acme", email="ann@example.com", password=PASSWORD))
    principal = await world.authenticate.execute(AuthenticateRequest(credential=logged_in.secret))
    entries = await ListAudit(world.uow).execute(ListAuditRequest(principal=principal))
    assert [(e.actor, e.action, e.target) for e in entries] == [("test", "user.create", "user:ann@example.com")]
    with pytest.raises(InvalidInput):
        await ListAudit(world.uow).execute(ListAuditRequest(principal=principal, limit=0))
    viewer = replace(principal, scopes=frozenset({Scope.READ}))
    with pytest.raises(Forbidden):
        await ListAudit(world.uow).execute(ListAuditRequest(principal=viewer))
