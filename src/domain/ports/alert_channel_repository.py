"""Port: a tenant's notification channels (the secret stays ciphertext here)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection
from typing import Protocol
from uuid import UUID

from src.domain.alerting.model import AlertChannel


class AlertChannelRepository(Protocol):
    @abstractmethod
    async def add(self, *, channel: AlertChannel) -> bool:
        """False when the tenant already has a channel of that name."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, channel_id: UUID) -> AlertChannel | None: ...

    @abstractmethod
    async def list(self, *, tenant_id: UUID, ids: Collection[UUID] | None = None) -> list[AlertChannel]:
        """All of the tenant's channels by name, or those of `ids` that exist."""

    @abstractmethod
    async def count(self, *, tenant_id: UUID) -> int: ...

    @abstractmethod
    async def update(self, *, channel: AlertChannel) -> bool:
        """False when no such channel or the name is another channel's."""

    @abstractmethod
    async def delete(self, *, tenant_id: UUID, channel_id: UUID) -> bool: ...
