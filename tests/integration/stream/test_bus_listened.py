"""`RedisEventBus.listened`: which tenants some process streams right now, asked of Redis itself
(so another process's subscriber counts), and only while it is subscribed."""

from __future__ import annotations

from uuid import UUID, uuid4

from redis.asyncio import Redis

from src.adapters.redis.event_bus import RedisEventBus
from tests.polling import until


async def test_a_tenant_is_listened_to_while_any_process_subscribes(redis_url: str) -> None:
    publisher = RedisEventBus(Redis.from_url(redis_url))
    streamer = RedisEventBus(Redis.from_url(redis_url))  # another API process
    watched, other = uuid4(), uuid4()
    assert await publisher.listened(tenant_ids=[watched, other]) == set()
    subscription = await streamer.subscribe(tenant_id=watched, deliver=lambda batch: None)
    try:
        # Counted as soon as `subscribe` returns: it waits for Redis to confirm the SUBSCRIBE.
        assert await publisher.listened(tenant_ids=[watched, other]) == {watched}
        assert await publisher.listened(tenant_ids=[]) == set()
    finally:
        await subscription.close()
    await until(lambda: _listened(publisher, [watched], set()), within=10, what="the subscriber gone")


async def _listened(bus: RedisEventBus, tenants: list[UUID], expected: set[UUID]) -> bool:
    return await bus.listened(tenant_ids=tenants) == expected
