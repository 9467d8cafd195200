"""Use case: change a tenant's limits, retention or status (platform admin)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from uuid import UUID

from src.domain.archive import ArchiveFormat
from src.domain.errors import InvalidInput, NotFound
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant, TenantLimits, TenantStatus
from src.usecases.auth_cache import TtlCache


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateTenantRequest:
    tenant_id: UUID
    retention_days: int | None = None
    status: TenantStatus | None = None
    limits: TenantLimits | None = None  # replaces all limits
    # Changes only the limits named (None: back to the platform default), as a JSON merge patch does.
    limit_changes: Mapping[str, int | None] | None = None
    # When set, the tenant's archive format becomes `archive_format` (None: the platform default).
    change_archive_format: bool = False
    archive_format: ArchiveFormat | None = None


_LIMIT_NAMES = frozenset(f.name for f in fields(TenantLimits))


class UpdateTenant:
    """Rules: only the fields given change (archive format included: new archives use it, old ones
    keep theirs), limits included (a change to one limit keeps the others);
    a suspension takes effect in this process at once."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, tenant_cache: TtlCache[UUID, Tenant | None]) -> None:
        self._uow_factory = uow_factory
        self._tenant_cache = tenant_cache

    async def execute(self, request: UpdateTenantRequest) -> Tenant:
        if request.retention_days is not None and request.retention_days <= 0:
            raise InvalidInput("retention_days must be positive", details={"field": "retention_days"})
        unknown = set(request.limit_changes or {}) - _LIMIT_NAMES
        if unknown:
            raise InvalidInput(f"unknown limits {sorted(unknown)}", details={"field": "limits"})
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id=request.tenant_id)
            if tenant is None:
                raise NotFound("no such tenant", details={"tenant_id": str(request.tenant_id)})
            limits = request.limits or tenant.limits
            if request.limit_changes:
                limits = replace(limits, **request.limit_changes)
            updated = replace(
                tenant,
                retention_days=request.retention_days or tenant.retention_days,
                status=request.status or tenant.status,
                limits=limits,
                archive_format=request.archive_format if request.change_archive_format else tenant.archive_format,
            )
            await uow.tenants.update(tenant=updated)
            await uow.commit()
        self._tenant_cache.forget(lambda key, _: key == request.tenant_id)
        return updated
