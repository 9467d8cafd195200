"""Per-tenant rate limits with slowapi: the key is the tenant, the limit the tenant's own.

slowapi asks for a limit string by key; the tenant's configured rate is remembered when its
credential is checked (every limited route authenticates first), falling back to the default.
Storage is Redis when configured, so every API process counts against the same budget.

slowapi stays the interface (decorators, key function, `RateLimitExceeded`, the headers) but not
the counting: its storage is synchronous, so every request made two blocking Redis round trips on
the event loop and single-event ingest ran at half speed with limiting on. `TenantLimiter` counts
before slowapi's wrapper runs, through the `limits` library's asynchronous storage (redis.asyncio),
in one round trip per request at most (the window's end is remembered per key, and concurrent
requests of a tenant share one INCRBY), and hands slowapi the verdict and the figures for the
headers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.wrappers import Limit
from starlette.requests import Request
from starlette.responses import Response

from src.domain.errors import RateLimited

# Retry-After tells a client to wait: only refusals carry it (RFC 9110 §10.2.3).
_RETRY_STATUSES = frozenset({429, 503})

logger = logging.getLogger(__name__)


class TenantRates:
    def __init__(self, default_per_minute: int) -> None:
        self.default_per_minute = default_per_minute
        self._per_minute: dict[str, int] = {}

    def remember(self, tenant_id: UUID, per_minute: int | None) -> None:
        self._per_minute[str(tenant_id)] = per_minute or self.default_per_minute

    def limit_for(self, key: str) -> str:
        return f"{self._per_minute.get(key, self.default_per_minute)}/minute"


def tenant_limit(limiter: Limiter, rates: TenantRates) -> Callable[[Any], Any]:
    """The tenant's one budget, shared by all its routes: a plain `limit` would count each route apart."""
    return limiter.shared_limit(rates.limit_for, scope="tenant")


async def charge_tenant(limiter: Limiter, rates: TenantRates, tenant_id: UUID, *, cost: int, what: str) -> None:
    """Take `cost` units from the tenant's shared budget outside a decorated route (a live stream's
    replay); raise RateLimited (429) when they are not there. The same storage key as
    `tenant_limit`, so routes and replays draw on one budget."""
    if not limiter.enabled:
        return
    assert isinstance(limiter, TenantLimiter)
    key = str(tenant_id)
    item = parse(rates.limit_for(key))
    window = await limiter.count(item, key, "tenant", cost=cost)
    if window.allowed:
        return
    raise RateLimited(
        f"rate limit exceeded: {what} costs {cost} of the tenant's {item}",
        retry_after=max(1, math.ceil(window.reset_at - time.time())),
        details={"limit": str(item), "cost": cost},
    )


def tenant_key(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # platform admin routes
        return "platform-admin"
    return str(principal.tenant_id)


@dataclass(frozen=True, slots=True)
class Window:
    """One count against a limit: whether it fit, what is left, when the window ends (epoch s)."""

    allowed: bool
    remaining: int
    reset_at: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """What slowapi keeps in `request.state.view_rate_limit` for the headers: the limit and its
    window as counted, so writing the headers needs no second trip to the storage."""

    item: RateLimitItem
    window: Window


@dataclass(frozen=True, slots=True)
class _SharedCheck:
    limit_value: str | Callable[..., str]
    scope: str | Callable[..., str]
    key_func: Callable[..., str]
    error_message: str | None
    cost: int


def async_storage_uri(redis_url: str | None) -> str:
    """The `limits` async storage for a Redis URL (`redis://`, `rediss://`, `unix://`, `redis+unix://`)."""
    if not redis_url:
        return "async+memory://"
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return "async+" + redis_url


class TenantLimiter(Limiter):
    """slowapi's limiter, counting asynchronously, with GitHub's header semantics.

    slowapi writes `Retry-After` on every limited response and `X-RateLimit-Reset` as a float;
    here Retry-After stays on 429/503 only and the reset is integer epoch seconds, as GitHub's
    `x-ratelimit-reset` is (rounded up, so waiting until then never lands inside the old window).
    """

    # After a storage error, count in memory for this long before trying Redis again.
    RETRY_STORAGE_SECONDS = 5.0

    def __init__(self, *, async_storage_uri: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        options: dict[str, Any] = {}
        if async_storage_uri.startswith("async+redis"):
            options = {"implementation": "redispy", "socket_timeout": 1.0, "socket_connect_timeout": 1.0}
        storage = storage_from_string(async_storage_uri, **options)
        assert isinstance(storage, Storage)
        self._async_storage: Storage = storage
        self._async_fallback = MemoryStorage()
        self._storage_down_until = 0.0
        # The end of each key's current window, so a count needs no TTL lookup within it.
        self._reset_at: dict[str, float] = {}
        # Counts waiting for the next INCRBY of their key, and the keys with one in flight.
        self._waiting: dict[tuple[int, str], list[tuple[int, asyncio.Future[int]]]] = {}
        self._flushing: set[tuple[int, str]] = set()
        self._flushes: set[asyncio.Task[None]] = set()

    async def count(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> Window:
        """Take `cost` from the limit's window (fixed-window, as slowapi's strategy): one round trip."""
        key = item.key_for(*identifiers)
        now = time.time()
        storage = self._async_storage if now >= self._storage_down_until else self._async_fallback
        try:
            return await self._count(storage, item, key, cost, now)
        except Exception:
            if storage is self._async_fallback:
                raise
            # As slowapi does: a storage outage must not refuse every request; count in memory.
            logger.warning("rate-limit storage unreachable; counting in memory for now", exc_info=True)
            self._storage_down_until = now + self.RETRY_STORAGE_SECONDS
            self._reset_at.clear()
            return await self._count(self._async_fallback, item, key, cost, now)

    async def _count(self, storage: Storage, item: RateLimitItem, key: str, cost: int, now: float) -> Window:
        expiry = item.get_expiry()
        used = await self._incr(storage, key, expiry, cost)
        reset_at = self._reset_at.get(key, 0.0)
        if used == cost:  # this count opened the window
            reset_at = now + expiry
        elif reset_at <= now:
            reset_at = await storage.get_expiry(key)
        self._reset_at[key] = reset_at
        return Window(allowed=used <= item.amount, remaining=max(0, item.amount - used), reset_at=reset_at)

    async def _incr(self, storage: Storage, key: str, expiry: int, cost: int) -> int:
        """The key's count after adding `cost`, as if this request had counted alone.

        Requests of one tenant arriving while an INCRBY for it is in flight are summed into the next
        one: under load a Redis round trip serves many requests instead of one each. Each gets the
        running total at its place in that sum, so limits and headers are what serial counting
        would have given."""
        slot = (id(storage), key)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(slot, []).append((cost, future))
        if slot not in self._flushing:
            self._flushing.add(slot)
            task = asyncio.create_task(self._flush(storage, slot, expiry))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self, storage: Storage, slot: tuple[int, str], expiry: int) -> None:
        try:
            while batch := self._waiting.pop(slot, None):
                total = sum(cost for cost, _ in batch)
                try:
                    used = await storage.incr(slot[1], expiry, amount=total)
                except Exception as e:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(e)
                    continue
                running = used - total
                for cost, future in batch:
                    running += cost
                    if not future.done():
                        future.set_result(running)
        finally:
            self._flushing.discard(slot)

    def shared_limit(
        self,
        limit_value: str | Callable[..., str],
        scope: str | Callable[..., str],
        key_func: Callable[..., str] | None = None,
        error_message: str | None = None,
        exempt_when: Callable[..., bool] | None = None,
        cost: int | Callable[..., int] = 1,
        override_defaults: bool = True,
    ) -> Callable[..., Any]:
        """slowapi's `shared_limit` (registration, key function), with the count taken here, awaited."""
        if exempt_when is not None or callable(cost):
            raise ValueError("TenantLimiter counts fixed costs without exemptions")
        registered = super().shared_limit(
            limit_value, scope, key_func=key_func, error_message=error_message, override_defaults=override_defaults
        )
        check = _SharedCheck(limit_value, scope, key_func or self._key_func, error_message, cost)

        def decorator(func: Any) -> Any:
            limited = registered(func)

            @functools.wraps(func)
            async def counted(*args: Any, **kw: Any) -> Any:
                request = kw.get("request")
                if self.enabled and isinstance(request, Request):
                    await self._check(request, check)
                return await limited(*args, **kw)

            return counted

        return decorator

    async def _check(self, request: Request, check: _SharedCheck) -> None:
        key = check.key_func(request)
        limit = check.limit_value(key) if callable(check.limit_value) else check.limit_value
        item = _parse(limit)
        scope = check.scope(key) if callable(check.scope) else check.scope
        window = await self.count(item, key, scope, cost=check.cost)
        request.state.view_rate_limit = Verdict(item, window)
        # slowapi's wrapper then neither counts again nor reads the storage.
        request.state._rate_limiting_complete = True
        if not window.allowed:
            logger.warning("ratelimit %s (%s) exceeded", item, key)
            raise RateLimitExceeded(
                Limit(item, check.key_func, scope, False, None, check.error_message, None, check.cost, True)
            )

    def _inject_headers(self, response: Response, current_limit: Any) -> Response:
        if not isinstance(current_limit, Verdict):
            return self._inject_counted_headers(response, current_limit)
        if not (self.enabled and self._headers_enabled):
            return response
        window = current_limit.window
        response.headers["X-RateLimit-Limit"] = str(current_limit.item.amount)
        response.headers["X-RateLimit-Remaining"] = str(window.remaining)
        response.headers["X-RateLimit-Reset"] = str(math.ceil(1 + window.reset_at))
        if response.status_code in _RETRY_STATUSES:
            response.headers["Retry-After"] = str(max(0, int(1 + window.reset_at - time.time())))
        elif "Retry-After" in response.headers:
            del response.headers["Retry-After"]
        return response

    def _inject_counted_headers(self, response: Response, current_limit: Any) -> Response:
        """Headers of a limit slowapi counted itself (`limit`, the platform-admin routes)."""
        try:
            response = super()._inject_headers(response, current_limit)
        except Exception:
            # The headers are read after the route ran: a rate-limit store (Redis) that went away
            # must not turn a committed request into a 500 that the client then retries (found by
            # the fault suite: duplicates during a Redis outage). The answer goes out without them.
            logger.warning("rate-limit storage unavailable; answering without rate-limit headers", exc_info=True)
            return response
        reset = response.headers.get("X-RateLimit-Reset")
        if reset is not None:
            response.headers["X-RateLimit-Reset"] = str(math.ceil(float(reset)))
        if response.status_code not in _RETRY_STATUSES and "Retry-After" in response.headers:
            del response.headers["Retry-After"]
        return response


@functools.lru_cache(maxsize=1024)
def _parse(limit: str) -> RateLimitItem:
    return parse(limit)


def make_limiter(*, redis_url: str | None, enabled: bool) -> Limiter:
    return TenantLimiter(
        async_storage_uri=async_storage_uri(redis_url),
        key_func=tenant_key,
        storage_uri=redis_url or "memory://",
        strategy="fixed-window",
        headers_enabled=True,
        enabled=enabled,
        # If Redis is briefly unreachable, count in memory instead of failing every request.
        in_memory_fallback_enabled=True,
    )
