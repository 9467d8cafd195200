"""Port: delete an archived range from the source of truth (platform-level, after verification)."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeReport:
    deleted_rows: int
    dropped_partitions: list[str]
    # Per-minute pattern counts of the deleted minutes: analytics follow the logs out.
    deleted_pattern_minutes: int = 0


class LogPurger(Protocol):
    @abstractmethod
    async def count(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int: ...

    @abstractmethod
    async def purge(
        self, *, tenant_id: UUID, before: datetime, received_before: datetime, batch_size: int
    ) -> PurgeReport:
        """Delete exactly the rows `tenant_id = t AND timestamp < before AND received_at < received_before`.

        Whole daily partitions holding only such rows are dropped; the rest goes in bounded batches,
        each its own transaction, so a crash leaves a smaller range to finish, never a wider one."""
