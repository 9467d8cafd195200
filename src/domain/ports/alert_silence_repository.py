"""Port: silences, each muting one rule's notifications for a bounded time."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.alerting.model import Silence


class AlertSilenceRepository(Protocol):
    @abstractmethod
    async def add(self, *, silence: Silence) -> None: ...

    @abstractmethod
    async def list(self, *, tenant_id: UUID, ending_after: datetime | None = None) -> list[Silence]:
        """Newest first; with `ending_after`, only those that end after it (current and future)."""

    @abstractmethod
    async def delete(self, *, tenant_id: UUID, silence_id: UUID) -> bool: ...

    @abstractmethod
    async def silenced_rules(self, *, tenant_id: UUID, at: datetime) -> set[UUID]:
        """Rules that a silence covers at `at`."""
