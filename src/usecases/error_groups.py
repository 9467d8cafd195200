"""Use cases: a tenant's error groups — list, one by id, and triage (open / resolved / ignored)."""

from __future__ import annotations

from src.domain.credentials import Principal, Scope
from src.domain.error_groups.group import ErrorGroup, ErrorGroupFilter, ErrorStatus
from src.domain.errors import InvalidInput, NotFound
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.query import check_moment
from src.domain.text import require_storable

MAX_LIMIT = 1000


class ErrorGroupQueries:
    """Rules: `read` scope for reading and for triage (a status changes no stored event); the tenant
    is the principal's (RLS holds it too); a group is listed when it was seen within [from, to];
    `resolved` re-opens on recurrence (set by mining), `ignored` stays until changed here."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def search(self, *, principal: Principal, where: ErrorGroupFilter) -> list[ErrorGroup]:
        principal.require(Scope.READ)
        check_moment(where.start, "from")
        check_moment(where.end, "to")
        if where.start > where.end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})
        if not 1 <= where.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be 1-{MAX_LIMIT}", details={"field": "limit"})
        if where.service is not None:
            require_storable(where.service, field="service")
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.error_groups.search(tenant_id=principal.tenant_id, where=where)

    async def get(self, *, principal: Principal, group_id: str) -> ErrorGroup:
        principal.require(Scope.READ)
        require_storable(group_id, field="id")
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.error_groups.get(tenant_id=principal.tenant_id, group_id=group_id)
        if found is None:
            raise NotFound("no such error group", details={"id": group_id})
        return found

    async def set_status(self, *, principal: Principal, group_id: str, status: ErrorStatus) -> ErrorGroup:
        principal.require(Scope.READ)
        require_storable(group_id, field="id")
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.error_groups.set_status(tenant_id=principal.tenant_id, group_id=group_id, status=status)
            if found is None:
                raise NotFound("no such error group", details={"id": group_id})
            await uow.commit()
        return found
