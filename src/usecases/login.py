"""Use cases: a human user logs in with a password, and logs out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.errors import Forbidden, Unauthenticated
from src.domain.ids import new_id
from src.domain.ports.password_hasher import PasswordHasher
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant
from src.domain.users import (
    MAX_PASSWORD_LENGTH,
    User,
    UserSession,
    csrf_token_for,
    hash_session_secret,
    lock_after_failure,
    looks_like_session,
    new_session_secret,
)

logger = logging.getLogger(__name__)

# One answer for every refusal: the caller must not learn whether the tenant or the user exists,
# whether the account is disabled or locked.
REFUSED = "wrong tenant, email or password, or the account is locked or disabled"


def refused() -> Unauthenticated:
    return Unauthenticated(REFUSED, code="invalid_credentials")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginRequest:
    tenant: str  # name or id
    email: str
    password: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedIn:
    user: User
    tenant: Tenant
    secret: str  # the cookie's value; only its hash is stored
    csrf_token: str
    expires_at: datetime


async def find_tenant(uow_factory: UnitOfWorkFactory, tenant: str) -> Tenant | None:
    async with uow_factory() as uow:
        try:
            found = await uow.tenants.get(tenant_id=UUID(tenant))
        except ValueError:
            found = None
        return found or await uow.tenants.get_by_name(name=tenant)


async def open_session(
    uow_factory: UnitOfWorkFactory, user: User, tenant: Tenant, *, ttl: timedelta, now: datetime
) -> LoggedIn:
    """A new session for a user whose identity was just proved (password or OIDC)."""
    secret = new_session_secret()
    session = UserSession(
        id=new_id(),
        tenant_id=user.tenant_id,
        user_id=user.id,
        token_hash=hash_session_secret(secret),
        expires_at=now + ttl,
    )
    async with uow_factory() as uow:
        await uow.act_as_tenant(user.tenant_id)
        await uow.sessions.add(session=session)
        await uow.commit()
    return LoggedIn(
        user=user, tenant=tenant, secret=secret, csrf_token=csrf_token_for(secret), expires_at=session.expires_at
    )


class Login:
    """Rules:
    - every refusal (no such tenant or user, wrong password, disabled, locked) is the same 401
      `invalid_credentials`, and costs one password verification, so neither the answer nor its
      timing tells whether the user exists;
    - LOCK_AFTER failures in a row lock the account for an exponentially growing time; while
      locked, even the right password is refused (and attempts do not extend the lock);
    - a success resets the count, upgrades an outdated hash and opens a session of `ttl`;
    - a suspended tenant's users are refused with 403 once their password was right.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        hasher: PasswordHasher,
        *,
        ttl: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._ttl = ttl
        self._clock = clock
        self._dummy_hash: str | None = None

    async def _spend_a_verification(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(new_session_secret())
        await self._hasher.verify(self._dummy_hash, password[:MAX_PASSWORD_LENGTH])

    async def execute(self, request: LoginRequest) -> LoggedIn:
        now = self._clock()
        password = request.password
        tenant = await find_tenant(self._uow_factory, request.tenant.strip())
        user: User | None = None
        if tenant is not None:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant.id)
                user = await uow.users.get_by_email(tenant_id=tenant.id, email=request.email.strip().lower())
        if (
            tenant is None
            or user is None
            or user.password_hash is None
            or user.disabled
            or user.is_locked(now)
            or len(password) > MAX_PASSWORD_LENGTH
        ):
            await self._spend_a_verification(password)
            raise refused()
        if not await self._hasher.verify(user.password_hash, password):
            await self._record_failure(user, now)
            raise refused()
        if not tenant.is_active:
            raise Forbidden("this tenant is suspended", code="tenant_suspended")
        if user.failed_attempts or user.locked_until or self._hasher.needs_rehash(user.password_hash):
            user = replace(
                user,
                failed_attempts=0,
                locked_until=None,
                password_hash=await self._hasher.hash(password)
                if self._hasher.needs_rehash(user.password_hash)
                else user.password_hash,
            )
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(user.tenant_id)
                await uow.users.update(user=user)
                await uow.commit()
        return await open_session(self._uow_factory, user, tenant, ttl=self._ttl, now=now)

    async def _record_failure(self, user: User, now: datetime) -> None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(user.tenant_id)
            # Re-read inside this transaction so concurrent failures each count.
            current = await uow.users.get(tenant_id=user.tenant_id, user_id=user.id)
            if current is None:
                return
            failures = current.failed_attempts + 1
            locked_until = lock_after_failure(failures, now)
            await uow.users.update(user=replace(current, failed_attempts=failures, locked_until=locked_until))
            await uow.commit()
        if locked_until is not None:
            logger.warning(
                "user locked after failed logins", extra={"tenant_id": str(user.tenant_id), "failures": failures}
            )


class Logout:
    """Rules: the session presented is revoked; an unknown or ended session is already logged out."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, secret: str) -> None:
        if not looks_like_session(secret):
            return
        async with self._uow_factory() as uow:
            found = await uow.sessions.find_by_hash(token_hash=hash_session_secret(secret))
            if found is None:
                return
            await uow.act_as_tenant(found.session.tenant_id)
            await uow.sessions.revoke(
                tenant_id=found.session.tenant_id, session_id=found.session.id, at=datetime.now(UTC)
            )
            await uow.commit()
