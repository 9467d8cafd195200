"""Port: forget idempotency claims once a retry can no longer be expected, and commit order once a
resuming live stream can no longer need it."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class IdempotencyJanitor(Protocol):
    @abstractmethod
    async def expire_claims(self, *, older_than: datetime) -> int:
        """Delete claims made before `older_than`, across tenants; return how many."""

    @abstractmethod
    async def expire_commit_order(self, *, older_than: datetime) -> int:
        """Delete commit-order rows of groups committed before `older_than`, across tenants."""
