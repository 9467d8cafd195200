"""Port: forget idempotency claims once a retry can no longer be expected."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class IdempotencyJanitor(Protocol):
    @abstractmethod
    async def expire_claims(self, *, older_than: datetime) -> int:
        """Delete claims made before `older_than`, across tenants; return how many."""
