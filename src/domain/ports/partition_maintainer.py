"""Port: make sure storage is ready for the days a batch of events falls on."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from datetime import date
from typing import Protocol


class PartitionMaintainer(Protocol):
    @abstractmethod
    async def ensure_days(self, days: Iterable[date]) -> None:
        """Idempotent; cheap when the days are known to be ready."""
