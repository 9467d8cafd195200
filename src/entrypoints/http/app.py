"""The FastAPI application: built by `make_app`, wired in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.http import errors
from src.entrypoints.http.console import install_console
from src.entrypoints.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from src.entrypoints.http.openapi import install_openapi
from src.entrypoints.http.rate_limit import TenantRates, make_limiter
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.routers import (
    archives,
    auth,
    exports,
    health,
    logs,
    parsing,
    reads,
    rejections,
    search,
    stream,
    tenants,
)
from src.entrypoints.http.routers.alert_channels import alert_channels_router
from src.entrypoints.http.routers.alert_rules import alert_rules_router
from src.entrypoints.http.routers.alerts import alerts_router
from src.entrypoints.http.routers.anomalies import anomalies_router
from src.entrypoints.http.routers.compat_elasticsearch import elasticsearch_router
from src.entrypoints.http.routers.compat_loki import loki_router
from src.entrypoints.http.routers.compat_loki_read import loki_read_router
from src.entrypoints.http.routers.compat_loki_tail import router as loki_tail_router
from src.entrypoints.http.routers.compat_otlp import otlp_router
from src.entrypoints.http.routers.error_groups import error_groups_router
from src.entrypoints.http.routers.fields import fields_router
from src.entrypoints.http.routers.oidc import oidc_router
from src.entrypoints.http.routers.patterns import patterns_router
from src.entrypoints.http.routers.query import query_router
from src.entrypoints.http.routers.saved_searches import saved_searches_router
from src.entrypoints.http.routers.users import users_router
from src.entrypoints.http.url_check import UrlCheckMiddleware
from src.entrypoints.settings import Settings

logger = logging.getLogger(__name__)

# Allocations before a young collection, then young collections per older one (see the lifespan).
_GC_THRESHOLDS = (50_000, 20, 100)

PARTITION_CHECK_SECONDS = 3600
API_DESCRIPTION = """
Tenants ship logs over HTTP (native JSON/NDJSON, raw text, Elasticsearch `_bulk`, OTLP, Loki push);
logplane stores them durably in PostgreSQL, indexes them for search, streams them live, exports
and archives them. The tenant always comes from the credential.

**Credentials**: `Authorization: Bearer <API key or JWT>` or `X-API-Key: <API key>`; the tenant
routes (`/api/v1/tenants`, `/api/v1/admin/...`) take the platform admin token. Shipper routes also
take HTTP Basic (the API key as password). Every error is `{"error": {"code", "message", "details"}}`
(shipper routes answer in their protocol's shape).

**Live stream** (not listable in OpenAPI): `WS /api/v1/logs/stream` with the credential as
`Authorization: Bearer`, a `bearer.<token>` subprotocol, or `?token=`; filters as query parameters
(`severity`, `min_severity`, `service`, `host`, `q`, `attr.<key>`) or sent later as
`{"type": "filter", ...}`; `since_id` resumes; frames are `{"type": "log", "data": <event>}`
(with `batch=true`: `{"type": "logs", "data": [...]}`), `heartbeat` and `dropped`.
Close codes: 4400 bad filter, 4401 credential, 4403 scope.
`GET /api/v1/logs/tail` is the same stream as Server-Sent Events.
"""


async def _keep_partitions_ahead(container: Container) -> None:
    """Daily partitions for yesterday .. three days ahead, checked hourly."""
    while True:
        today = datetime.now(UTC).date()
        try:
            await container.partitions.ensure_days(today + timedelta(days=d) for d in range(-1, 4))
        except Exception:
            logger.exception("partition maintenance failed; will retry")
        await asyncio.sleep(PARTITION_CHECK_SECONDS)


def make_app(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> FastAPI:
    settings = settings or Settings()
    limiter = make_limiter(redis_url=settings.redis.redis_url, enabled=settings.rate_limit.enabled)
    rates = TenantRates(settings.rate_limit.default_per_minute)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = build_container(settings, overrides)
        redis_client = None
        if settings.redis.redis_url:
            from redis.asyncio import Redis

            redis_client = Redis.from_url(settings.redis.redis_url)
            # Optional: without Redis, ingest and search still work (rate limits count in memory,
            # live streams answer 503 and resume with since_id), so it degrades, not fails, readiness.
            container.extras.setdefault("optional_readiness", {})["redis"] = redis_client.ping
        # Only what this deployment configured is probed; the rest is reported by its absence.
        optional = container.extras.setdefault("optional_readiness", {})
        if settings.opensearch.url:
            # `ready` also refuses a wrongly mapped daily index (any day kept, not only today's).
            index = container.search_index
            optional["opensearch"] = getattr(index, "ready", None) or getattr(index, "ping", None)
        if settings.aws.queues_enabled:
            optional["sqs"] = getattr(container.queue, "ping", None)
            optional["s3"] = container.archive_store.ping
        for name in [n for n, probe in optional.items() if probe is None]:
            del optional[name]
        app.state.container = container
        # Everything built so far lives as long as the process: keep it out of the collector's
        # scans (each full collection otherwise walks it; a measured p99 cut on the ingest path).
        gc.collect()
        gc.freeze()
        # A young generation of 700 objects (the default) is collected ~30 times a 5,000-event bulk
        # request, and every event's objects live to the response, so each pass walks them all again:
        # ~4 µs an event of the API's ~30 (bench/ab_factory.py, BENCH_AB_GC_THRESHOLD). Cycles are rare
        # here; reference counting frees nearly everything.
        gc.set_threshold(*_GC_THRESHOLDS)
        maintenance = asyncio.create_task(_keep_partitions_ahead(container))
        try:
            yield
        finally:
            maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await maintenance
            if redis_client is not None:
                await redis_client.aclose()
            await container.close()

    # /docs and /redoc load Swagger UI and ReDoc from the installed fastapi-offline package, not a CDN.
    app = FastAPIOffline(
        title="logplane",
        version="0.1.0",
        summary="Multi-tenant log platform",
        default_response_class=JsonResponse,
        lifespan=lifespan,
    )
    app.state.limiter = limiter
    app.state.tenant_rates = rates
    admin_limit = f"{settings.rate_limit.admin_per_minute}/minute"
    errors.install(app)
    app.include_router(health.router)
    app.include_router(stream.router)
    app.include_router(logs.logs_router(limiter, rates))
    app.include_router(search.search_router(limiter, rates, admin_limit))
    app.include_router(query_router(limiter, rates))
    app.include_router(saved_searches_router(limiter, rates))
    app.include_router(anomalies_router(limiter, rates))
    app.include_router(patterns_router(limiter, rates))
    app.include_router(error_groups_router(limiter, rates))
    app.include_router(fields_router(limiter, rates))
    app.include_router(alert_rules_router(limiter, rates))
    app.include_router(alert_channels_router(limiter, rates))
    app.include_router(alerts_router(limiter, rates))
    app.include_router(loki_read_router(limiter, rates))
    app.include_router(loki_tail_router)
    app.include_router(archives.archives_router(limiter, rates))
    app.include_router(exports.exports_router(limiter, rates))
    app.include_router(parsing.parsing_router(limiter, rates))
    app.include_router(elasticsearch_router(limiter, rates))
    app.include_router(otlp_router(limiter, rates))
    app.include_router(loki_router(limiter, rates))
    app.include_router(reads.reads_router(limiter, rates))
    app.include_router(rejections.rejections_router(limiter, rates))
    app.include_router(tenants.tenants_router(limiter, admin_limit))
    app.include_router(auth.auth_router(limiter, rates, admin_limit))
    app.include_router(users_router(limiter, rates, admin_limit))
    app.include_router(oidc_router(limiter, admin_limit))
    install_console(app)
    # Ingest routes check their own, per-tenant limits while streaming.
    app.add_middleware(BodyLimitMiddleware, max_bytes=1024 * 1024, exempt_prefixes=("/api/v1/logs", "/api/v1/compat"))
    app.add_middleware(UrlCheckMiddleware)
    app.add_middleware(RequestContextMiddleware)
    install_openapi(app, description=API_DESCRIPTION)
    return app
