"""Port: error groups per tenant and service (fingerprinted errors with a triage status)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from src.domain.error_groups.group import ErrorGroup, ErrorGroupFilter, ErrorOccurrences, ErrorStatus


class ErrorGroupRepository(Protocol):
    @abstractmethod
    async def record(self, *, tenant_id: UUID, service: str, occurrences: Sequence[ErrorOccurrences]) -> None:
        """Create or add to groups; a resolved group seeing an event newer than its resolution re-opens."""

    @abstractmethod
    async def search(self, *, tenant_id: UUID, where: ErrorGroupFilter) -> list[ErrorGroup]:
        """Groups seen within [start, end] (first to last seen overlaps it), most recently seen first."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, group_id: str) -> ErrorGroup | None: ...

    @abstractmethod
    async def set_status(self, *, tenant_id: UUID, group_id: str, status: ErrorStatus) -> ErrorGroup | None:
        """None when no such group."""
