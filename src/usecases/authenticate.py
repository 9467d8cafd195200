"""Use case: turn a presented credential (API key or JWT) into a Principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from src.domain.credentials import (
    ApiKey,
    Principal,
    TokenClaims,
    hash_api_key,
    key_subject,
    looks_like_api_key,
    minted_from_key,
)
from src.domain.errors import Forbidden, Unauthenticated
from src.domain.ports.token_codec import TokenCodec
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant
from src.domain.users import hash_session_secret, looks_like_session
from src.usecases.auth_cache import KeyCache, TtlCache


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticateRequest:
    credential: str


class Authenticate:
    """Rules:
    - a credential starting `lp_` is an API key: found by its hash, refused when revoked;
    - one starting `lps_` is a user's login session (the cookie's value): found by its hash on
      every request, not cached, so a logout or a disabled user takes effect at once; refused when
      revoked, expired or its user disabled; its scopes are its user's role's, read each time;
    - anything else is a JWT, verified by the token codec (algorithms pinned in settings);
    - a JWT minted from an API key (claim `key_id`) is refused once that key is revoked, like the key;
      a JWT of an external issuer (no `key_id`) lives until it expires;
    - the tenant must exist and be active; a suspended tenant's credentials get 403;
    - the tenant id comes from the stored key or the verified token, nothing else.
    Keys and tenants are read through short caches, so a change made by another process takes
    effect within the cache TTL (`LOGPLANE_CREDENTIAL_CACHE_SECONDS`), one made here at once.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        codec: TokenCodec,
        *,
        keys: KeyCache,
        tenants: TtlCache[UUID, Tenant | None],
    ) -> None:
        self._uow_factory = uow_factory
        self._codec = codec
        self._keys = keys
        self._tenants = tenants

    async def execute(self, request: AuthenticateRequest) -> Principal:
        credential = request.credential.strip()
        if not credential:
            raise Unauthenticated("no credential given", code="missing_credential")
        if looks_like_session(credential):
            principal = await self._session_principal(credential)
        elif looks_like_api_key(credential):
            key = await self._find_key(hash_api_key(credential))
            if key is None:
                raise Unauthenticated("unknown API key", code="invalid_api_key")
            if key.is_revoked:
                raise Unauthenticated("this API key was revoked", code="revoked_api_key")
            principal = Principal(
                tenant_id=key.tenant_id, subject=key_subject(key.id), scopes=key.scopes, via="api_key", key_id=key.id
            )
        else:
            claims = await self._codec.verify(credential)
            key_id = await self._check_minting_key(claims)
            principal = Principal(
                tenant_id=claims.tid,
                subject=claims.sub,
                scopes=claims.scope,
                via="jwt",
                expires_at=claims.exp,
                key_id=key_id,
            )
        tenant = await self._find_tenant(principal.tenant_id)
        if tenant is None:
            raise Unauthenticated("the credential's tenant does not exist", code="unknown_tenant")
        if not tenant.is_active:
            raise Forbidden("this tenant is suspended", code="tenant_suspended")
        return principal

    async def _session_principal(self, secret: str) -> Principal:
        async with self._uow_factory() as uow:
            found = await uow.sessions.find_by_hash(token_hash=hash_session_secret(secret))
        if found is None:
            raise Unauthenticated("unknown session: log in again", code="invalid_session")
        session, user = found.session, found.user
        if session.revoked_at is not None or session.expires_at <= datetime.now(UTC) or user.disabled:
            raise Unauthenticated("this session has ended: log in again", code="invalid_session")
        return Principal(
            tenant_id=session.tenant_id,
            subject=f"user:{user.id}",
            scopes=user.scopes,
            via="session",
            expires_at=int(session.expires_at.timestamp()),
            user_id=user.id,
            email=user.email,
        )

    async def tenant(self, tenant_id: UUID) -> Tenant | None:
        return await self._find_tenant(tenant_id)

    async def _check_minting_key(self, claims: TokenClaims) -> UUID | None:
        key_id = minted_from_key(claims)
        if key_id is None:
            return None
        key = await self._find_key_by_id(claims.tid, key_id)
        # A key of another tenant is as unknown as no key: the token must not learn it exists.
        if key is None or key.tenant_id != claims.tid:
            raise Unauthenticated("the API key this token was minted from does not exist", code="invalid_api_key")
        if key.is_revoked:
            raise Unauthenticated("the API key this token was minted from was revoked", code="revoked_api_key")
        return key_id

    async def _find_key(self, key_hash: bytes) -> ApiKey | None:
        cached = self._keys.get(key_hash)
        if cached is not None:
            return cached
        async with self._uow_factory() as uow:
            key = await uow.api_keys.find_by_hash(key_hash=key_hash)
        if key is not None:
            self._keys.put(key_hash, key)
        return key

    async def _find_key_by_id(self, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        cached = self._keys.get(key_id)
        if cached is not None and cached.tenant_id == tenant_id:
            return cached
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            key = await uow.api_keys.get(tenant_id=tenant_id, key_id=key_id)
        if key is not None:
            self._keys.put(key_id, key)
        return key

    async def _find_tenant(self, tenant_id: UUID) -> Tenant | None:
        cached = self._tenants.get(tenant_id)
        if cached is not None:
            return cached
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id=tenant_id)
        if tenant is not None:
            self._tenants.put(tenant_id, tenant)
        return tenant
