"""Port: the regex parsers a tenant registered."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredParser:
    tenant_id: UUID
    name: str
    pattern: str
    created_at: datetime | None = None


class ParserRepository(Protocol):
    @abstractmethod
    async def put(self, *, parser: StoredParser) -> None:
        """Create or replace the tenant's parser of that name."""

    @abstractmethod
    async def list(self, *, tenant_id: UUID) -> list[StoredParser]: ...

    @abstractmethod
    async def delete(self, *, tenant_id: UUID, name: str) -> bool: ...
