"""`RedisEventBus.subscribe` returns once Redis has registered the channel: a batch published after it
returns is delivered, however long the SUBSCRIBE takes to reach Redis.

A resumed stream reads the past from PostgreSQL right after subscribing; were the subscription not yet
registered, a batch committed after that read and published before the registration would be neither
replayed nor delivered (the gap the fault suite's "redis down" scenario once found).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis

from src.adapters.redis.event_bus import RedisEventBus
from src.domain.errors import DependencyUnavailable
from tests.faults.proxy import FaultProxy
from tests.polling import until

SLOW = 0.5  # seconds the proxy holds what the subscriber sends


@pytest.fixture
def slow_redis(redis_url: str) -> Iterator[FaultProxy]:
    parts = urlsplit(redis_url)
    proxy = FaultProxy("redis", target_host=parts.hostname, target_port=parts.port)
    proxy.slow(SLOW)
    try:
        yield proxy
    finally:
        proxy.close()


async def test_a_batch_published_right_after_subscribe_returns_is_delivered(
    slow_redis: FaultProxy, redis_url: str
) -> None:
    subscriber = RedisEventBus(Redis.from_url(f"redis://127.0.0.1:{slow_redis.port}/0"))
    publisher = RedisEventBus(Redis.from_url(redis_url))  # another process, on a fast link
    tenant = uuid4()
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    got = asyncio.Event()

    def deliver_second(batch: list[dict[str, Any]]) -> None:
        second.extend(batch)
        got.set()

    try:
        subscription = await subscriber.subscribe(tenant_id=tenant, deliver=first.extend)
        # A second local subscriber of the same channel sends nothing, yet also waits for Redis.
        also = await subscriber.subscribe(tenant_id=tenant, deliver=deliver_second)
        assert await publisher.listened(tenant_ids=[tenant]) == {tenant}  # at once: no polling
        await publisher.publish(tenant_id=tenant, events=[{"message": "right after"}])
        await asyncio.wait_for(got.wait(), timeout=10)
        assert first == second == [{"message": "right after"}]
        await also.close()
        await subscription.close()
    finally:
        await subscriber.close()
        await publisher.close()


async def test_a_subscriber_not_confirmed_in_time_gets_503_and_leaves_no_channel_behind(
    slow_redis: FaultProxy, redis_url: str
) -> None:
    bus = RedisEventBus(Redis.from_url(f"redis://127.0.0.1:{slow_redis.port}/0"), confirm_timeout=SLOW / 10)
    publisher = RedisEventBus(Redis.from_url(redis_url))
    tenant = uuid4()
    try:
        with pytest.raises(DependencyUnavailable) as refused:
            await bus.subscribe(tenant_id=tenant, deliver=lambda batch: None)
        assert refused.value.code == "stream_unavailable"
        # The bus gave the channel up: its UNSUBSCRIBE follows the SUBSCRIBE, and Redis ends with none.
        await until(lambda: _sent(slow_redis, b"UNSUBSCRIBE"), within=10, what="the UNSUBSCRIBE sent")
        await until(lambda: _listened(publisher, tenant, set()), within=10, what="the channel unsubscribed")
    finally:
        await bus.close()
        await publisher.close()


async def test_a_subscriber_waiting_when_the_bus_is_lost_gets_503(slow_redis: FaultProxy) -> None:
    bus = RedisEventBus(Redis.from_url(f"redis://127.0.0.1:{slow_redis.port}/0"))
    lost = asyncio.Event()
    waiting = asyncio.create_task(bus.subscribe(tenant_id=uuid4(), deliver=lambda batch: None, on_lost=lost.set))
    try:
        # Cut while the SUBSCRIBE is held by the proxy: no confirmation will ever come.
        await until(lambda: _sent(slow_redis, b"SUBSCRIBE"), within=10, what="the SUBSCRIBE sent")
        slow_redis.cut()
        with pytest.raises(DependencyUnavailable) as refused:
            await asyncio.wait_for(waiting, timeout=15)
        assert refused.value.code == "stream_unavailable"
        assert lost.is_set()
    finally:
        waiting.cancel()
        await bus.close()


async def test_a_subscriber_cancelled_while_subscribing_leaves_nothing_behind(
    slow_redis: FaultProxy, redis_url: str
) -> None:
    """The client leaves while its stream's SUBSCRIBE is still being sent (here: the new connection's
    handshake is held by the proxy). The next stream of the tenant must not wait on an answer that
    will never come, and the streams already open must be told (their connection may be gone)."""
    bus = RedisEventBus(Redis.from_url(f"redis://127.0.0.1:{slow_redis.port}/0"))
    publisher = RedisEventBus(Redis.from_url(redis_url))
    tenant, got = uuid4(), asyncio.Event()
    try:
        leaving = asyncio.create_task(bus.subscribe(tenant_id=tenant, deliver=lambda batch: None))
        await until(lambda: _sent(slow_redis, b"CLIENT"), within=10, what="the connection's handshake sent")
        assert not leaving.done()
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        # Waits SLOW for its own confirmation, not confirm_timeout for one that never comes.
        staying = await bus.subscribe(tenant_id=tenant, deliver=lambda batch: got.set())
        await publisher.publish(tenant_id=tenant, events=[{"message": "after"}])
        await asyncio.wait_for(got.wait(), timeout=10)
        await staying.close()
    finally:
        await bus.close()
        await publisher.close()


async def _sent(proxy: FaultProxy, command: bytes) -> bool:
    return command in proxy.sent


async def _listened(bus: RedisEventBus, tenant: UUID, expected: set[UUID]) -> bool:
    return await bus.listened(tenant_ids=[tenant]) == expected
