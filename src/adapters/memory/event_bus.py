"""An in-process event bus, for a single API process without Redis (live tail within it only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson

from src.domain.ports.event_bus import Deliver, EventBus, OnLost, Subscription
from src.domain.wire import to_json


class _Local(Subscription):
    def __init__(self, bus: InProcessEventBus, tenant_id: UUID, deliver: Deliver) -> None:
        self._bus, self._tenant_id, self._deliver = bus, tenant_id, deliver

    async def close(self) -> None:
        listeners = self._bus.listeners.get(self._tenant_id, [])
        if self._deliver in listeners:
            listeners.remove(self._deliver)


class InProcessEventBus(EventBus):
    def __init__(self) -> None:
        self.listeners: dict[UUID, list[Deliver]] = {}

    async def publish(self, *, tenant_id: UUID, events: Sequence[dict[str, Any]]) -> None:
        # Through JSON, as on the wire: listeners see the same types whichever bus runs.
        batch = orjson.loads(to_json(list(events)))
        for deliver in list(self.listeners.get(tenant_id, [])):
            deliver(batch)

    async def listened(self, *, tenant_ids: Sequence[UUID]) -> set[UUID]:
        return {t for t in tenant_ids if self.listeners.get(t)}

    async def subscribe(self, *, tenant_id: UUID, deliver: Deliver, on_lost: OnLost | None = None) -> Subscription:
        self.listeners.setdefault(tenant_id, []).append(deliver)
        return _Local(self, tenant_id, deliver)
