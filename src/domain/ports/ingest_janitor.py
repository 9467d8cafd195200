"""Port: forget what ingest leaves behind once nothing needs it: idempotency claims once a retry can
no longer be expected, commit order once a resuming live stream can no longer need it, and the
outbox's finished reindex tasks once their status is history."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class IngestJanitor(Protocol):
    @abstractmethod
    async def expire_claims(self, *, older_than: datetime) -> int:
        """Delete claims made before `older_than`, across tenants; return how many."""

    @abstractmethod
    async def expire_commit_order(self, *, older_than: datetime) -> int:
        """Delete commit-order rows of groups committed before `older_than`, across tenants."""

    @abstractmethod
    async def expire_reindex_tasks(self, *, older_than: datetime) -> int:
        """Delete reindex tasks that succeeded before `older_than`, across tenants; return how many.
        Pending, running and failed tasks, and tasks of every other type, stay."""
