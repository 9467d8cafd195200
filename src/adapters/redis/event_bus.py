"""Redis pub/sub as the event bus: one channel per tenant, one subscriber connection per process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from src.domain.errors import DependencyUnavailable
from src.domain.ports.event_bus import Deliver, EventBus, OnLost, Subscription
from src.domain.wire import to_json

logger = logging.getLogger(__name__)


def channel(tenant_id: UUID) -> str:
    return f"logplane:tenant:{tenant_id}"


def _text(name: bytes | str) -> str:
    return name.decode() if isinstance(name, bytes) else name


def _unavailable() -> DependencyUnavailable:
    return DependencyUnavailable(
        "the live stream is unavailable (its event bus, Redis, is down); retry shortly",
        code="stream_unavailable",
        details={"dependency": "redis"},
    )


class _RedisSubscription(Subscription):
    def __init__(self, bus: RedisEventBus, tenant: str, deliver: Deliver) -> None:
        self._bus = bus
        self._tenant = tenant
        self._deliver = deliver

    async def close(self) -> None:
        await self._bus._remove(self._tenant, self._deliver)


class RedisEventBus(EventBus):
    """Channels are subscribed while at least one local client listens, so a process receives only
    the tenants its clients watch.

    `subscribe` returns once Redis has confirmed the SUBSCRIBE, not once it was sent: redis-py's
    `PubSub.subscribe` only writes the command, and a batch published before Redis registers the
    channel reaches nobody. A stream that resumes reads the past from PostgreSQL right after
    subscribing, so a batch committed after that read but published before the registration was
    neither replayed nor delivered (the fault suite's "redis down" gap: one batch, at the resume)."""

    def __init__(self, redis: Redis, *, confirm_timeout: float = 5.0) -> None:
        self._redis = redis
        self._confirm_timeout = confirm_timeout
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: dict[str, list[Deliver]] = {}
        self._on_lost: dict[Deliver, OnLost] = {}
        # Per channel, one future per SUBSCRIBE sent and not yet confirmed, oldest first: Redis
        # answers a connection's commands in order. True when confirmed, False when the bus was lost.
        self._confirming: dict[str, deque[asyncio.Future[bool]]] = {}
        self._lock = asyncio.Lock()
        self._losing: set[asyncio.Task[None]] = set()  # `_lost` started by a cancelled subscriber

    async def publish(self, *, tenant_id: UUID, events: Sequence[dict[str, Any]]) -> None:
        try:
            await self._redis.publish(channel(tenant_id), to_json(list(events)))
        except RedisError as e:
            raise DependencyUnavailable("the event bus (Redis) is unavailable", code="bus_unavailable") from e

    async def listened(self, *, tenant_ids: Sequence[UUID]) -> set[UUID]:
        if not tenant_ids:
            return set()
        by_channel = {channel(t): t for t in tenant_ids}
        try:
            # Every process's subscriptions, in one round trip: channels are subscribed per tenant.
            counts = await self._redis.pubsub_numsub(*by_channel)
        except RedisError as e:
            raise DependencyUnavailable("the event bus (Redis) is unavailable", code="bus_unavailable") from e
        return {by_channel[_text(name)] for name, count in counts if count}

    async def subscribe(self, *, tenant_id: UUID, deliver: Deliver, on_lost: OnLost | None = None) -> Subscription:
        name = channel(tenant_id)
        failure: BaseException | None = None  # a broken connection, or a cancelled caller
        async with self._lock:
            if self._pubsub is None:
                # Subscribe confirmations are read, not ignored: they are what `subscribe` waits for.
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
            first = name not in self._listeners
            self._listeners.setdefault(name, []).append(deliver)
            confirmed: asyncio.Future[bool] | None
            if first:
                confirmed = asyncio.get_running_loop().create_future()
                self._confirming.setdefault(name, deque()).append(confirmed)
                try:
                    await self._pubsub.subscribe(name)
                except BaseException as e:  # a cancelled caller too: see below
                    self._forget(name, confirmed)
                    self._listeners[name].remove(deliver)
                    if not self._listeners[name]:
                        del self._listeners[name]
                    failure = e
            else:
                # A later subscriber of a channel still being subscribed waits for the same answer
                # (the reader may confirm while this one waited for the lock: then nothing to wait for).
                pending = self._confirming.get(name)
                confirmed = pending[-1] if pending else None
            if failure is None:  # a listener that stayed
                if on_lost is not None:
                    self._on_lost[deliver] = on_lost
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.create_task(self._read(), name="event-bus-reader")
        if isinstance(failure, RedisError | OSError):
            # The shared connection is broken for every subscriber of this process, not just this one.
            await self._lost()
            raise _unavailable() from failure
        if failure is not None:
            # Cancelled (the client left) while SUBSCRIBE was being written: redis-py drops a
            # connection whose command was cut off, and its reader would reconnect and subscribe
            # again without a word, so every stream of this process may have missed batches meanwhile.
            lost = asyncio.create_task(self._lost())
            self._losing.add(lost)
            lost.add_done_callback(self._losing.discard)
            raise failure
        if confirmed is not None:
            await self._confirmed(name, deliver, confirmed)
        return _RedisSubscription(self, name, deliver)

    async def _confirmed(self, name: str, deliver: Deliver, confirmed: asyncio.Future[bool]) -> None:
        """Wait for Redis to register the channel; on a lost bus, a timeout or a cancelled caller the
        subscriber is removed again (no listener left behind for a stream that never started)."""
        try:
            async with asyncio.timeout(self._confirm_timeout):
                ok = await asyncio.shield(confirmed)
        except TimeoutError as e:
            await self._remove(name, deliver)
            raise _unavailable() from e
        except BaseException:
            await self._remove(name, deliver)
            raise
        if not ok:
            raise _unavailable()

    async def _reset(self) -> None:
        """Forget a broken pub/sub connection; the next subscriber opens a new one."""
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _lost(self) -> None:
        """Every current subscriber may have missed batches: tell each, once, and start over."""
        async with self._lock:
            callbacks = [self._on_lost.get(d) for ds in self._listeners.values() for d in ds]
            self._listeners.clear()
            self._on_lost.clear()
            for pending in self._confirming.values():
                for confirmed in pending:
                    if not confirmed.done():
                        confirmed.set_result(False)
            self._confirming.clear()
            await self._reset()
        for callback in callbacks:
            if callback is not None:
                callback()

    async def _remove(self, name: str, deliver: Deliver) -> None:
        async with self._lock:
            listeners = self._listeners.get(name, [])
            self._on_lost.pop(deliver, None)
            if deliver in listeners:
                listeners.remove(deliver)
            if not listeners and name in self._listeners:
                del self._listeners[name]
                if self._pubsub is not None:
                    with contextlib.suppress(RedisError):
                        await self._pubsub.unsubscribe(name)

    async def _read(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        while self._pubsub is pubsub and (self._listeners or pubsub.subscribed):
            try:
                message = await pubsub.get_message(timeout=1.0)
            except (RedisError, OSError):
                # Pub/sub keeps nothing for a disconnected subscriber: what was published meanwhile
                # is gone from the bus. Streams are told (they end, and resume from their last id,
                # replayed from PostgreSQL), rather than silently continuing with a gap.
                logger.warning("event bus connection lost; ending live streams so they resume", exc_info=True)
                await self._lost()
                return
            if message is None:
                continue
            kind = message.get("type")
            if kind == "subscribe":
                self._confirm(_text(message["channel"]))
            if kind != "message":
                continue
            name = _text(message["channel"])
            try:
                batch = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                continue
            for deliver in list(self._listeners.get(name, [])):
                deliver(batch)

    def _forget(self, name: str, confirmed: asyncio.Future[bool]) -> None:
        pending = self._confirming.get(name)
        if pending is not None and confirmed in pending:
            pending.remove(confirmed)
            if not pending:
                del self._confirming[name]

    def _confirm(self, name: str) -> None:
        pending = self._confirming.get(name)
        if not pending:
            return  # redis-py's own re-subscribe after a reconnect: nobody waits for it
        confirmed = pending.popleft()
        if not pending:
            del self._confirming[name]
        if not confirmed.done():
            confirmed.set_result(True)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
