"""Use cases: log a user in through an OpenID Connect provider (authorization code + PKCE)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.errors import Forbidden, Unauthenticated
from src.domain.ports.oidc_provider import OidcProvider
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.usecases.login import LoggedIn, find_tenant, open_session, refused

PENDING_SECONDS = 600  # the time a person has at the provider's login page


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingOidcLogin:
    """What the browser carries (in a signed cookie) between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str
    tenant_id: UUID
    expires_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StartedOidcLogin:
    url: str
    pending: PendingOidcLogin


class StartOidcLogin:
    """Rules: a fresh state (CSRF of the callback), nonce (replay of an ID token) and PKCE
    verifier (RFC 7636, 256 bits) per login; an unknown tenant is refused like a wrong password."""

    def __init__(self, uow_factory: UnitOfWorkFactory, provider: OidcProvider) -> None:
        self._uow_factory = uow_factory
        self._provider = provider

    async def execute(self, tenant: str) -> StartedOidcLogin:
        found = await find_tenant(self._uow_factory, tenant.strip())
        if found is None:
            raise refused()
        pending = PendingOidcLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),  # 64 characters, within RFC 7636's 43..128
            tenant_id=found.id,
            expires_at=int(time.time()) + PENDING_SECONDS,
        )
        url = await self._provider.authorization_url(
            state=pending.state, nonce=pending.nonce, code_verifier=pending.code_verifier
        )
        return StartedOidcLogin(url=url, pending=pending)


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishOidcLoginRequest:
    pending: PendingOidcLogin | None
    state: str
    code: str


class FinishOidcLogin:
    """Rules:
    - the callback's state must be the pending login's (constant-time), within PENDING_SECONDS;
    - the provider's ID token must verify (the adapter checks signature, issuer, audience, expiry,
      nonce) and carry an email, verified unless configured otherwise;
    - the email must belong to an enabled user of the tenant chosen at the start: users are
      created by an admin first (no sign-up through the provider);
    - then a session opens exactly as for a password login.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        provider: OidcProvider,
        *,
        ttl: timedelta,
        require_verified_email: bool = True,
    ) -> None:
        self._uow_factory = uow_factory
        self._provider = provider
        self._ttl = ttl
        self._require_verified = require_verified_email

    async def execute(self, request: FinishOidcLoginRequest) -> LoggedIn:
        pending = request.pending
        if pending is None or pending.expires_at < time.time():
            raise Unauthenticated("no OpenID Connect login is in progress: start again", code="oidc_failed")
        if not secrets.compare_digest(pending.state.encode(), request.state.encode()):
            raise Unauthenticated("the login's state does not match: start again", code="oidc_failed")
        identity = await self._provider.exchange(
            code=request.code, code_verifier=pending.code_verifier, nonce=pending.nonce
        )
        if identity.email is None or (self._require_verified and identity.email_verified is not True):
            raise Unauthenticated("the provider vouched for no verified email address", code="oidc_failed")
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id=pending.tenant_id)
            if tenant is None:
                raise refused()
            await uow.act_as_tenant(tenant.id)
            user = await uow.users.get_by_email(tenant_id=tenant.id, email=identity.email.strip().lower())
        if user is None or user.disabled:
            raise refused()
        if not tenant.is_active:
            raise Forbidden("this tenant is suspended", code="tenant_suspended")
        return await open_session(self._uow_factory, user, tenant, ttl=self._ttl, now=datetime.now(UTC))
