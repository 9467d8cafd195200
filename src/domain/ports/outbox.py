"""Port: the outbox relay's view of async_task, across tenants."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from src.domain.tasks import AsyncTask, TaskType


class OutboxStore(Protocol):
    @abstractmethod
    async def take_stale_pending(
        self, *, types: frozenset[TaskType], older_than: datetime, limit: int
    ) -> list[AsyncTask]:
        """Never-started pending tasks not touched since `older_than`, touched now so no other relay takes them too.

        Safe in many processes at once (rows are locked with SKIP LOCKED while being taken)."""
