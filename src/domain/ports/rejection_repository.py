"""Port: the per-tenant tally of refused events (per route and reason), newest first."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.rejections import RejectionCount, RejectionSummary


class RejectionRepository(Protocol):
    @abstractmethod
    async def record(self, *, tenant_id: UUID, counts: Sequence[RejectionCount], at: datetime) -> None:
        """Add the counts; the sample and last-seen time become the newest."""

    @abstractmethod
    async def recent(self, *, tenant_id: UUID, limit: int) -> list[RejectionSummary]:
        """The tenant's tallies, the most recently seen first."""
