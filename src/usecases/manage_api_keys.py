"""Use cases: create, list and revoke a tenant's API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from src.domain.audit import PLATFORM_ADMIN_ACTOR
from src.domain.credentials import ApiKey, Scope, hash_api_key, new_api_key_secret
from src.domain.errors import InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.usecases.audit_trail import audit_entry
from src.usecases.auth_cache import KeyCache


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateApiKeyRequest:
    tenant_id: UUID
    name: str
    scopes: frozenset[Scope]
    actor: str = PLATFORM_ADMIN_ACTOR  # who asks, for the audit log


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedApiKey:
    key: ApiKey
    secret: str  # shown once


class CreateApiKey:
    """Rules: at least one scope; the secret is returned once and only its hash is kept; audited."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, request: CreateApiKeyRequest) -> CreatedApiKey:
        if not request.scopes:
            raise InvalidInput("a key needs at least one scope", details={"field": "scopes"})
        if not request.name.strip() or len(request.name) > 200:
            raise InvalidInput("a key needs a name of 1-200 characters", details={"field": "name"})
        secret = new_api_key_secret()
        key = ApiKey(
            id=new_id(),
            tenant_id=request.tenant_id,
            name=request.name,
            scopes=request.scopes,
            key_hash=hash_api_key(secret),
            created_at=datetime.now(UTC),
        )
        async with self._uow_factory() as uow:
            if await uow.tenants.get(tenant_id=request.tenant_id) is None:
                raise NotFound("no such tenant", details={"tenant_id": str(request.tenant_id)})
            await uow.act_as_tenant(request.tenant_id)
            await uow.api_keys.add(key=key)
            await uow.audit.record(
                entry=audit_entry(
                    tenant_id=key.tenant_id,
                    actor=request.actor,
                    action="key.create",
                    target=f"key:{key.id}",
                    details={"name": key.name, "scopes": sorted(key.scopes)},
                )
            )
            await uow.commit()
        return CreatedApiKey(key=key, secret=secret)


class ListApiKeys:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, tenant_id: UUID) -> list[ApiKey]:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            return await uow.api_keys.list(tenant_id=tenant_id)


class RevokeApiKey:
    """Rules: a tenant revokes only its own keys (404 otherwise); this process forgets it at once;
    audited."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, key_cache: KeyCache) -> None:
        self._uow_factory = uow_factory
        self._key_cache = key_cache

    async def execute(self, *, tenant_id: UUID, key_id: UUID, actor: str = PLATFORM_ADMIN_ACTOR) -> None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            revoked = await uow.api_keys.revoke(tenant_id=tenant_id, key_id=key_id, at=datetime.now(UTC))
            if not revoked:
                raise NotFound("no such live key for this tenant", details={"key_id": str(key_id)})
            await uow.audit.record(
                entry=audit_entry(tenant_id=tenant_id, actor=actor, action="key.revoke", target=f"key:{key_id}")
            )
            await uow.commit()
        self._key_cache.forget(lambda _, key: key is not None and key.id == key_id)
