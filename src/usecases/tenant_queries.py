"""Use cases: read the tenant registry (platform admin)."""

from __future__ import annotations

from uuid import UUID

from src.domain.errors import NotFound
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant


class ListTenants:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self) -> list[Tenant]:
        async with self._uow_factory() as uow:
            return await uow.tenants.list()


class GetTenant:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, tenant_id: UUID) -> Tenant:
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id=tenant_id)
        if tenant is None:
            raise NotFound("no such tenant", details={"tenant_id": str(tenant_id)})
        return tenant
