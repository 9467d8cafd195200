"""Use case: read a tenant's audit log; and the one helper that builds an entry for the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from src.domain.audit import AuditEntry
from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWorkFactory

MAX_AUDIT_PAGE = 1000


def audit_entry(
    *, tenant_id: UUID, actor: str, action: str, target: str | None = None, details: dict[str, Any] | None = None
) -> AuditEntry:
    """An entry stamped now; use cases record it through the unit of work of the action itself,
    so an action and its entry commit (or roll back) together."""
    return AuditEntry(
        tenant_id=tenant_id,
        id=new_id(),
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        target=target,
        details=details or {},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ListAuditRequest:
    principal: Principal
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100


class ListAudit:
    """Rules: tenant `admin` scope; the caller's tenant only; newest first; 1..1000 entries."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, request: ListAuditRequest) -> list[AuditEntry]:
        request.principal.require(Scope.ADMIN)
        if not 1 <= request.limit <= MAX_AUDIT_PAGE:
            raise InvalidInput(f"limit must be 1..{MAX_AUDIT_PAGE}", details={"field": "limit"})
        if request.start is not None and request.end is not None and request.start >= request.end:
            raise InvalidInput("'from' must be before 'to'", details={"field": "from"})
        tenant_id = request.principal.tenant_id
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            return await uow.audit.list(tenant_id=tenant_id, start=request.start, end=request.end, limit=request.limit)
