"""Rate limits counted asynchronously: concurrent requests share a round trip, counts stay exact."""

from __future__ import annotations

import asyncio

from limits import parse
from limits.aio.storage import MemoryStorage

from src.entrypoints.http.rate_limit import TenantLimiter, async_storage_uri, tenant_key


class _CountingStorage(MemoryStorage):
    """The in-memory storage, counting the INCRBYs it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        self.calls += 1
        await asyncio.sleep(0.001)  # a round trip: others arrive meanwhile
        return await super().incr(key, expiry, amount)


def _limiter() -> tuple[TenantLimiter, _CountingStorage]:
    limiter = TenantLimiter(async_storage_uri="async+memory://", key_func=tenant_key, strategy="fixed-window")
    storage = _CountingStorage()
    limiter._async_storage = storage
    return limiter, storage


async def test_concurrent_counts_share_round_trips_and_each_sees_its_own_place() -> None:
    limiter, storage = _limiter()
    item = parse("30/minute")
    windows = await asyncio.gather(*(limiter.count(item, "tenant-a", "tenant") for _ in range(40)))
    assert sorted(item.amount - w.remaining for w in windows if w.remaining) == list(range(1, 30))
    assert sum(w.allowed for w in windows) == 30  # exactly the budget, as serial counting gives
    assert storage.calls < 40 / 2  # summed, not one round trip each
    other = await limiter.count(item, "tenant-b", "tenant")
    assert other.allowed and other.remaining == 29  # another tenant's budget is its own


async def test_costs_are_summed_in_order() -> None:
    limiter, _ = _limiter()
    item = parse("10/minute")
    first, second, third = await asyncio.gather(
        limiter.count(item, "t", "tenant", cost=4),
        limiter.count(item, "t", "tenant", cost=5),
        limiter.count(item, "t", "tenant", cost=3),
    )
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert (first.remaining, second.remaining, third.remaining) == (6, 1, 0)


async def test_a_storage_outage_counts_in_memory() -> None:
    limiter, _ = _limiter()

    class _Down(MemoryStorage):
        async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
            raise ConnectionError("redis went away")

    limiter._async_storage = _Down()
    window = await limiter.count(parse("5/minute"), "t", "tenant")
    assert window.allowed and window.remaining == 4


def test_redis_urls_map_to_the_async_storage() -> None:
    assert async_storage_uri(None) == "async+memory://"
    assert async_storage_uri("redis://h:6379/0") == "async+redis://h:6379/0"
    assert async_storage_uri("unix:///tmp/r.sock") == "async+redis+unix:///tmp/r.sock"
