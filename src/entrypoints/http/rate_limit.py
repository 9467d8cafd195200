"""Per-tenant rate limits with slowapi: the key is the tenant, the limit the tenant's own.

slowapi asks for a limit string by key; the tenant's configured rate is remembered when its
credential is checked (every limited route authenticates first), falling back to the default.
Storage is Redis when configured, so every API process counts against the same budget.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from limits import parse
from slowapi import Limiter
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


def charge_tenant(limiter: Limiter, rates: TenantRates, tenant_id: UUID, *, cost: int, what: str) -> None:
    """Take `cost` units from the tenant's shared budget outside a decorated route (a live stream's
    replay); raise RateLimited (429) when they are not there. The same storage key as
    `tenant_limit`, so routes and replays draw on one budget."""
    if not limiter.enabled:
        return
    key = str(tenant_id)
    item = parse(rates.limit_for(key))
    try:
        if limiter.limiter.hit(item, key, "tenant", cost=cost):
            return
        reset_at, _ = limiter.limiter.get_window_stats(item, key, "tenant")
    except Exception:
        # As slowapi does for routes: a storage outage must not refuse every request.
        logger.warning("rate-limit storage unavailable; %s not counted", what, exc_info=True)
        return
    raise RateLimited(
        f"rate limit exceeded: {what} costs {cost} of the tenant's {item}",
        retry_after=max(1, math.ceil(reset_at - time.time())),
        details={"limit": str(item), "cost": cost},
    )


def tenant_key(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # platform admin routes
        return "platform-admin"
    return str(principal.tenant_id)


class TenantLimiter(Limiter):
    """slowapi's limiter with GitHub's header semantics.

    slowapi writes `Retry-After` on every limited response and `X-RateLimit-Reset` as a float;
    here Retry-After stays on 429/503 only and the reset is integer epoch seconds, as GitHub's
    `x-ratelimit-reset` is (rounded up, so waiting until then never lands inside the old window).
    """

    def _inject_headers(self, response: Response, current_limit: Any) -> Response:
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


def make_limiter(*, redis_url: str | None, enabled: bool) -> Limiter:
    return TenantLimiter(
        key_func=tenant_key,
        storage_uri=redis_url or "memory://",
        strategy="fixed-window",
        headers_enabled=True,
        enabled=enabled,
        # If Redis is briefly unreachable, count in memory instead of failing every request.
        in_memory_fallback_enabled=True,
    )
