"""Stream slots in Redis: one sorted set per tenant, a member per open stream, scored by when its
lease runs out (Redis's own clock, so API hosts' clocks do not matter).

Acquiring drops the expired leases, counts and adds in one script, so two processes cannot both
take the last slot. Each process renews the leases it holds in one background loop; a process
that dies stops renewing and its slots come free within `lease_seconds`. Renewal only extends
members still present (`XX`): a renewal racing a release cannot bring a released slot back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.domain.errors import DependencyUnavailable
from src.domain.ports.stream_slots import StreamLease, StreamSlots

logger = logging.getLogger(__name__)

_NOW_MS = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
_ACQUIRE = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
)
_RENEW = (
    _NOW_MS
    + """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""
)


def slots_key(tenant_id: UUID) -> str:
    return f"logplane:streams:{tenant_id}"


class _RedisLease(StreamLease):
    def __init__(self, slots: RedisStreamSlots, tenant_id: UUID, lease_id: str) -> None:
        self._slots, self._tenant_id, self._id = slots, tenant_id, lease_id

    async def release(self) -> None:
        await self._slots._release(self._tenant_id, self._id)


class RedisStreamSlots(StreamSlots):
    def __init__(self, redis: Redis, *, lease_seconds: float = 30.0) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self._redis = redis
        self._lease_ms = max(1, int(lease_seconds * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._held: dict[UUID, set[str]] = {}
        self._renewer: asyncio.Task[None] | None = None

    async def acquire(self, *, tenant_id: UUID, limit: int) -> StreamLease | None:
        lease_id = uuid.uuid4().hex
        try:
            taken = await self._acquire(keys=[slots_key(tenant_id)], args=[limit, self._lease_ms, lease_id])
        except RedisError as e:
            raise DependencyUnavailable("stream slots (Redis) are unavailable", code="streams_unavailable") from e
        if not taken:
            return None
        self._held.setdefault(tenant_id, set()).add(lease_id)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_forever(), name="stream-slot-renewer")
        return _RedisLease(self, tenant_id, lease_id)

    async def _release(self, tenant_id: UUID, lease_id: str) -> None:
        held = self._held.get(tenant_id)
        if held is None or lease_id not in held:
            return
        held.discard(lease_id)
        if not held:
            del self._held[tenant_id]
        with contextlib.suppress(RedisError):  # unreleased, the lease still runs out on its own
            await self._redis.zrem(slots_key(tenant_id), lease_id)

    async def _renew_forever(self) -> None:
        # A third of the lease: two renewals may fail (a Redis blip, a busy loop) before a slot lapses.
        while self._held:
            await asyncio.sleep(self._lease_ms / 3000)
            for tenant_id, leases in list(self._held.items()):
                try:
                    await self._renew(keys=[slots_key(tenant_id)], args=[self._lease_ms, *leases])
                except RedisError:
                    logger.warning("could not renew stream slots; retrying", exc_info=True)

    async def close(self) -> None:
        """Stop renewing (what a crash does too) and close the client, which this object owns;
        the streams' own close releases their slots first."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self._redis.aclose()
