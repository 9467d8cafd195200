"""Stream slots counted in this process: for a single API process without Redis."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from src.domain.ports.stream_slots import StreamLease, StreamSlots


class _LocalLease(StreamLease):
    def __init__(self, slots: InProcessStreamSlots, tenant_id: UUID) -> None:
        self._slots, self._tenant_id, self._held = slots, tenant_id, True

    async def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.held[self._tenant_id] -= 1


class InProcessStreamSlots(StreamSlots):
    def __init__(self) -> None:
        self.held: Counter[UUID] = Counter()

    async def acquire(self, *, tenant_id: UUID, limit: int) -> StreamLease | None:
        if self.held[tenant_id] >= limit:
            return None
        self.held[tenant_id] += 1
        return _LocalLease(self, tenant_id)
