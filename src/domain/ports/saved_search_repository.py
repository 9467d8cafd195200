"""Port: a tenant's saved searches (name, query, time range as written: `now-1h` stays relative)."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedSearch:
    tenant_id: UUID
    id: UUID
    name: str
    query: str
    time_from: str | None = None
    time_to: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class SavedSearchRepository(Protocol):
    @abstractmethod
    async def add(self, *, search: SavedSearch) -> bool:
        """False when the tenant already has a search of that name."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, search_id: UUID) -> SavedSearch | None: ...

    @abstractmethod
    async def list(self, *, tenant_id: UUID) -> list[SavedSearch]: ...

    @abstractmethod
    async def count(self, *, tenant_id: UUID) -> int: ...

    @abstractmethod
    async def update(self, *, search: SavedSearch) -> bool:
        """False when no such search, or the new name is another search's."""

    @abstractmethod
    async def delete(self, *, tenant_id: UUID, search_id: UUID) -> bool: ...
