"""RedisStreamSlots against a real Redis: one count across processes, and leases that lapse."""

from __future__ import annotations

import asyncio
import time
import uuid

from redis.asyncio import Redis

from src.adapters.redis.stream_slots import RedisStreamSlots, slots_key
from tests.polling import eventually


async def test_the_last_slot_goes_to_exactly_one_of_many_concurrent_takers(redis_url: str) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    processes = [RedisStreamSlots(Redis.from_url(redis_url), lease_seconds=30) for _ in range(4)]
    try:
        leases = await asyncio.gather(*(p.acquire(tenant_id=tenant, limit=5) for p in processes for _ in range(5)))
        assert sum(lease is not None for lease in leases) == 5
        assert await processes[0].acquire(tenant_id=other, limit=5) is not None  # another tenant's own count
        for lease in leases:
            if lease is not None:
                await lease.release()
        assert await processes[1].acquire(tenant_id=tenant, limit=5) is not None
    finally:
        for p in processes:
            await p.close()


async def test_a_dead_processs_slots_come_free_within_the_lease_and_a_live_one_keeps_them(redis_url: str) -> None:
    tenant = uuid.uuid4()
    lease_seconds = 1.0
    alive = RedisStreamSlots(Redis.from_url(redis_url), lease_seconds=lease_seconds)
    dying = RedisStreamSlots(Redis.from_url(redis_url), lease_seconds=lease_seconds)
    observer = Redis.from_url(redis_url)
    try:
        assert await alive.acquire(tenant_id=tenant, limit=2) is not None
        assert await dying.acquire(tenant_id=tenant, limit=2) is not None
        assert await alive.acquire(tenant_id=tenant, limit=2) is None
        await dying.close()  # stops renewing without releasing: what a crash leaves behind
        died_at = time.monotonic()

        async def freed() -> object:
            return await alive.acquire(tenant_id=tenant, limit=2)

        await eventually(freed, within=10, what="the dead process's slot lapses")
        assert time.monotonic() - died_at >= lease_seconds * 0.5
        # Renewal keeps the live process's slots well past one lease (this wait is what is tested).
        await asyncio.sleep(lease_seconds * 3)
        assert await observer.zcard(slots_key(tenant)) == 2
        assert await alive.acquire(tenant_id=tenant, limit=2) is None
    finally:
        await alive.close()
        await observer.aclose()
