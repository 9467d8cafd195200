"""Use case: change a tenant's limits, retention or status (platform admin)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from uuid import UUID

from src.domain.archive import ArchiveFormat
from src.domain.audit import PLATFORM_ADMIN_ACTOR
from src.domain.errors import InvalidInput, NotFound
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant, TenantLimits, TenantStatus
from src.usecases.audit_trail import audit_entry
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
    actor: str = PLATFORM_ADMIN_ACTOR  # who asks, for the tenant's audit log


_LIMIT_NAMES = frozenset(f.name for f in fields(TenantLimits))


class UpdateTenant:
    """Rules: only the fields given change (archive format included: new archives use it, old ones
    keep theirs), limits included (a change to one limit keeps the others); a suspension takes
    effect in this process at once; what changed goes to the tenant's audit log."""

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
            changes = _changes(tenant, updated)
            if changes:
                await uow.act_as_tenant(tenant.id)
                await uow.audit.record(
                    entry=audit_entry(
                        tenant_id=tenant.id,
                        actor=request.actor,
                        action="tenant.update",
                        target=f"tenant:{tenant.name}",
                        details=changes,
                    )
                )
            await uow.commit()
        self._tenant_cache.forget(lambda key, _: key == request.tenant_id)
        return updated


def _changes(before: Tenant, after: Tenant) -> dict[str, Any]:
    """What changed, as {"retention_days": {"from", "to"}, "limits": {name: {"from", "to"}}, ...}."""
    changes: dict[str, Any] = {}
    if before.retention_days != after.retention_days:
        changes["retention_days"] = {"from": before.retention_days, "to": after.retention_days}
    if before.status != after.status:
        changes["status"] = {"from": before.status.value, "to": after.status.value}
    limits = {
        f.name: {"from": getattr(before.limits, f.name), "to": getattr(after.limits, f.name)}
        for f in fields(TenantLimits)
        if getattr(before.limits, f.name) != getattr(after.limits, f.name)
    }
    if limits:
        changes["limits"] = limits
    if before.archive_format != after.archive_format:
        changes["archive_format"] = {
            "from": before.archive_format.value if before.archive_format else None,
            "to": after.archive_format.value if after.archive_format else None,
        }
    return changes
