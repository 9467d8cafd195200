"""Port: at most one holder across all processes (e.g. the retention scheduler)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class LeaderLock(Protocol):
    @abstractmethod
    async def try_acquire(self) -> bool:
        """True while this process holds the lock (acquiring it if free); never blocks."""

    @abstractmethod
    async def release(self) -> None: ...
