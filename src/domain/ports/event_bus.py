"""Port: live fan-out of committed events to every API process (Redis pub/sub)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

Deliver = Callable[[list[dict[str, Any]]], None]
# Called once when the bus lost its connection: batches may have been missed since.
OnLost = Callable[[], None]


class Subscription(Protocol):
    @abstractmethod
    async def close(self) -> None: ...


class EventBus(Protocol):
    @abstractmethod
    async def publish(self, *, tenant_id: UUID, events: Sequence[dict[str, Any]]) -> None:
        """Announce committed events (public view) on the tenant's channel."""

    @abstractmethod
    async def listened(self, *, tenant_ids: Sequence[UUID]) -> set[UUID]:
        """Those of the tenants some process subscribes to right now. A publisher asks after its
        commit, so a subscriber already listening when the events committed is counted; publishing
        nothing to a tenant nobody listens to saves building its events' public view."""

    @abstractmethod
    async def subscribe(self, *, tenant_id: UUID, deliver: Deliver, on_lost: OnLost | None = None) -> Subscription:
        """Call `deliver` with each batch published for the tenant, in this process, until closed.

        Returns once the bus has registered the subscription: every batch published after it returns
        is delivered (a caller that reads the past right after subscribing misses nothing between).
        `deliver` must not block: it runs on the bus's reader. When the bus loses its connection,
        `on_lost` is called and the subscription is over (the subscriber resumes from its last id);
        subscribing while the bus is down raises DependencyUnavailable."""
