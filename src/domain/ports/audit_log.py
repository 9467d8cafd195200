"""Port: the tenant's audit log of administrative actions (append-only)."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.audit import AuditEntry


class AuditLog(Protocol):
    @abstractmethod
    async def record(self, *, entry: AuditEntry) -> None:
        """Written in the same transaction as the action it records."""

    @abstractmethod
    async def list(
        self, *, tenant_id: UUID, start: datetime | None, end: datetime | None, limit: int
    ) -> list[AuditEntry]:
        """Newest first, `start` <= at < `end`."""
