"""Port: the platform's tenant registry."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from src.domain.tenants import Tenant


class TenantRepository(Protocol):
    @abstractmethod
    async def add(self, *, tenant: Tenant) -> None:
        """Raise Conflict when the name is taken."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID) -> Tenant | None: ...

    @abstractmethod
    async def get_by_name(self, *, name: str) -> Tenant | None: ...

    @abstractmethod
    async def list(self) -> list[Tenant]: ...

    @abstractmethod
    async def update(self, *, tenant: Tenant) -> None: ...
