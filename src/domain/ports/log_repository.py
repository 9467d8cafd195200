"""Port: where log events are stored (the source of truth)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.logs import LogEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyClaim:
    client_id: str
    log_id: UUID
    timestamp: datetime
    request_hash: str | None


class LogRepository(Protocol):
    """Reads and writes one tenant's logs inside the unit of work that owns the connection."""

    @abstractmethod
    async def claim_client_ids(
        self, *, tenant_id: UUID, claims: Sequence[IdempotencyClaim]
    ) -> dict[str, IdempotencyClaim]:
        """Record each claim unless its client id is known; return the earlier claims that won instead."""

    @abstractmethod
    async def add_many(self, *, events: Sequence[LogEvent]) -> None:
        """Insert events in one set-based statement."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, log_id: UUID) -> LogEvent | None: ...

    @abstractmethod
    async def count(self, *, tenant_id: UUID) -> int: ...

    @abstractmethod
    async def restore_many(self, *, events: Sequence[LogEvent]) -> int:
        """Insert events that are not stored yet (same id and timestamp); return how many were new."""
