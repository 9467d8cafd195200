"""Port: the async_task table (outbox and job status)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from src.domain.tasks import AsyncTask, TaskStatus, TaskType


class TaskRepository(Protocol):
    @abstractmethod
    async def add_many(self, *, tasks: Sequence[AsyncTask]) -> None: ...

    @abstractmethod
    async def get(self, *, tenant_id: UUID, task_id: UUID) -> AsyncTask | None: ...

    @abstractmethod
    async def list(
        self,
        *,
        tenant_id: UUID,
        task_type: TaskType | None = None,
        status: TaskStatus | None = None,
        limit: int = 100,
    ) -> list[AsyncTask]: ...

    @abstractmethod
    async def start(self, *, tenant_id: UUID, task_id: UUID) -> AsyncTask | None:
        """Mark running and count the attempt, unless it already finished (succeeded or failed for
        good); None when not startable."""

    @abstractmethod
    async def record_progress(self, *, tenant_id: UUID, task_id: UUID, result: dict[str, Any]) -> None: ...

    @abstractmethod
    async def finish(
        self,
        *,
        tenant_id: UUID,
        task_id: UUID,
        status: TaskStatus,
        result: dict[str, Any] | None = None,
        error_msg: str | None = None,
    ) -> None:
        """Set the outcome; `pending` with an error means 'will be retried'."""
