"""Use case: register a tenant and give it its first (admin) API key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from src.domain.credentials import ALL_SCOPES, ApiKey, hash_api_key, new_api_key_secret
from src.domain.errors import InvalidInput
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant, TenantLimits, TenantStatus

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTenantRequest:
    name: str
    retention_days: int | None = None
    limits: TenantLimits = field(default_factory=TenantLimits)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedTenant:
    tenant: Tenant
    api_key: str  # shown once; only its hash is stored
    api_key_id: str


class CreateTenant:
    """Rules: names are lowercase slugs and unique (409 otherwise); retention defaults from settings;
    the tenant and its first key commit together, so no tenant exists without a way in."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, default_retention_days: int) -> None:
        self._uow_factory = uow_factory
        self._default_retention_days = default_retention_days

    async def execute(self, request: CreateTenantRequest) -> CreatedTenant:
        if not _NAME.match(request.name):
            raise InvalidInput(
                "tenant names are 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit",
                details={"field": "name"},
            )
        retention = request.retention_days or self._default_retention_days
        if retention <= 0:
            raise InvalidInput("retention_days must be positive", details={"field": "retention_days"})
        tenant = Tenant(
            id=new_id(),
            name=request.name,
            status=TenantStatus.ACTIVE,
            retention_days=retention,
            limits=request.limits,
            # Stamped here, not left to the column default, so the answer carries the stored value.
            created_at=(now := datetime.now(UTC)),
            updated_at=now,
        )
        secret = new_api_key_secret()
        key = ApiKey(
            id=new_id(),
            tenant_id=tenant.id,
            name="initial admin key",
            scopes=ALL_SCOPES,
            key_hash=hash_api_key(secret),
        )
        async with self._uow_factory() as uow:
            await uow.tenants.add(tenant=tenant)
            await uow.act_as_tenant(tenant.id)
            await uow.api_keys.add(key=key)
            await uow.commit()
        return CreatedTenant(tenant=tenant, api_key=secret, api_key_id=str(key.id))
