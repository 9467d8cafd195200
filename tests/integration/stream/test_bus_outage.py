"""Issue 10, finding 4: a live stream is never left silently missing events when Redis goes away.

Redis is reached through a proxy the test cuts (what a crashed or partitioned server looks like).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from src.adapters.redis.event_bus import RedisEventBus
from src.domain.errors import DependencyUnavailable
from tests.faults.proxy import FaultProxy


@pytest.fixture
def proxied_redis(redis_url: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(redis_url)
    proxy = FaultProxy("redis", target_host=parts.hostname, target_port=parts.port)
    try:
        yield proxy
    finally:
        proxy.close()


async def test_subscribers_are_told_when_the_bus_is_lost_and_new_ones_get_503(proxied_redis: FaultProxy) -> None:
    bus = RedisEventBus(Redis.from_url(f"redis://127.0.0.1:{proxied_redis.port}/0"))
    lost = asyncio.Event()
    received: list[object] = []
    try:
        subscription = await bus.subscribe(tenant_id=uuid4(), deliver=received.extend, on_lost=lost.set)
        proxied_redis.cut()
        await asyncio.wait_for(lost.wait(), timeout=15)  # the stream ends, so its client resumes
        with pytest.raises(DependencyUnavailable) as refused:
            await bus.subscribe(tenant_id=uuid4(), deliver=received.extend)
        assert refused.value.code == "stream_unavailable"
        await subscription.close()
        proxied_redis.restore()
        again = asyncio.Event()
        tenant = uuid4()
        deadline = asyncio.get_running_loop().time() + 15
        while True:  # the bus comes back by itself for new subscribers
            try:
                second = await bus.subscribe(tenant_id=tenant, deliver=lambda batch: again.set())
                break
            except DependencyUnavailable:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.2)
        await bus.publish(tenant_id=tenant, events=[{"message": "after"}])
        await asyncio.wait_for(again.wait(), timeout=10)
        await second.close()
    finally:
        await bus.close()
