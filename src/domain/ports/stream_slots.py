"""Port: the slots that cap a tenant's concurrent live streams, counted across API processes."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID


class StreamLease(Protocol):
    @abstractmethod
    async def release(self) -> None:
        """Give the slot back (idempotent)."""


class StreamSlots(Protocol):
    @abstractmethod
    async def acquire(self, *, tenant_id: UUID, limit: int) -> StreamLease | None:
        """One of the tenant's `limit` slots, or None when all are held.

        A slot is a lease: its holder renews it while the stream lives, so a slot held by a
        process that died is freed within the lease time instead of leaking forever."""
