"""Port: hashed API keys."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.credentials import ApiKey


class ApiKeyRepository(Protocol):
    @abstractmethod
    async def add(self, *, key: ApiKey) -> None: ...

    @abstractmethod
    async def find_by_hash(self, *, key_hash: bytes) -> ApiKey | None:
        """Look a key up before any tenant is known: the one read that crosses tenants."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        """One of the tenant's keys by id, revoked or not (to check a token minted from it)."""

    @abstractmethod
    async def list(self, *, tenant_id: UUID) -> list[ApiKey]: ...

    @abstractmethod
    async def revoke(self, *, tenant_id: UUID, key_id: UUID, at: datetime) -> bool:
        """Return False when no such live key exists for that tenant."""
