"""Redis pub/sub as the event bus: one channel per tenant, one subscriber connection per process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from src.domain.errors import DependencyUnavailable
from src.domain.ports.event_bus import Deliver, EventBus, Subscription
from src.domain.wire import to_json

logger = logging.getLogger(__name__)


def channel(tenant_id: UUID) -> str:
    return f"logplane:tenant:{tenant_id}"


class _RedisSubscription(Subscription):
    def __init__(self, bus: RedisEventBus, tenant: str, deliver: Deliver) -> None:
        self._bus = bus
        self._tenant = tenant
        self._deliver = deliver

    async def close(self) -> None:
        await self._bus._remove(self._tenant, self._deliver)


class RedisEventBus(EventBus):
    """Channels are subscribed while at least one local client listens, so a process receives only
    the tenants its clients watch."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: dict[str, list[Deliver]] = {}
        self._lock = asyncio.Lock()

    async def publish(self, *, tenant_id: UUID, events: Sequence[dict[str, Any]]) -> None:
        try:
            await self._redis.publish(channel(tenant_id), to_json(list(events)))
        except RedisError as e:
            raise DependencyUnavailable("the event bus (Redis) is unavailable", code="bus_unavailable") from e

    async def subscribe(self, *, tenant_id: UUID, deliver: Deliver) -> Subscription:
        name = channel(tenant_id)
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            first = name not in self._listeners
            self._listeners.setdefault(name, []).append(deliver)
            if first:
                await self._pubsub.subscribe(name)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="event-bus-reader")
        return _RedisSubscription(self, name, deliver)

    async def _remove(self, name: str, deliver: Deliver) -> None:
        async with self._lock:
            listeners = self._listeners.get(name, [])
            if deliver in listeners:
                listeners.remove(deliver)
            if not listeners and name in self._listeners:
                del self._listeners[name]
                if self._pubsub is not None:
                    with contextlib.suppress(RedisError):
                        await self._pubsub.unsubscribe(name)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while self._listeners or self._pubsub.subscribed:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except RedisError:
                logger.warning("event bus connection lost; resubscribing", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            name = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            try:
                batch = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                continue
            for deliver in list(self._listeners.get(name, [])):
                deliver(batch)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
