"""Port: the outbox relay's view of async_task, across tenants."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.tasks import AsyncTask, TaskType


class OutboxStore(Protocol):
    @abstractmethod
    async def take_stale_pending(
        self,
        *,
        types: frozenset[TaskType],
        unpublished_before: datetime,
        older_than: datetime,
        lost_before: datetime,
        limit: int,
    ) -> list[AsyncTask]:
        """Pending tasks whose message is missing, touched now so no other relay takes them too:
        never published and older than `unpublished_before` (a publish lost to a crash or an outage);
        published but never started and untouched since `older_than` (a message lost by the queue);
        started and waiting for a retry but untouched since `lost_before` (longer than any backoff).

        Safe in many processes at once (rows are locked with SKIP LOCKED while being taken)."""

    @abstractmethod
    async def mark_published(self, *, task_ids: Sequence[UUID]) -> None:
        """Record that these tasks' messages are on their queue."""

    @abstractmethod
    async def note_waiting(self, *, task_ids: Sequence[UUID], note: str) -> None:
        """Tell whoever reads these (still unpublished) tasks what they wait for."""

    @abstractmethod
    async def unfinished(self, *, after: UUID | None, limit: int) -> list[AsyncTask]:
        """Pending and running tasks of every type, in id order after `after`: what a task queue
        that lost its messages (an in-memory queue restarted) must be given again."""
