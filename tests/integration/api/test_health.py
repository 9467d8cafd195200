"""Liveness, readiness against the real dependencies, and Prometheus metrics."""

from __future__ import annotations

import socket

import httpx
from pydantic import SecretStr

from src.adapters.embedded.service import free_port
from tests.conftest import METRICS, create_tenant
from tests.integration.api.conftest import ADMIN, app_client_with, assert_error, metric_value


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens once the socket is closed


async def test_live(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_ready_checks_postgres_and_redis(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_ready_is_degraded_not_failed_when_redis_is_down(postgres_url: str) -> None:
    """Issue 10, finding 4: ingest works without Redis, so a load balancer must keep sending traffic."""
    async with app_client_with(postgres_url, f"redis://127.0.0.1:{_closed_port()}/0") as client:
        response = await client.get("/health/ready")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["postgres"] == "ok"
        assert body["checks"]["redis"].startswith("failed")
        live = await client.get("/health/live")
        assert live.status_code == 200


async def test_ready_is_503_when_postgres_is_down(redis_url: str) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/postgres"
    async with app_client_with(url, redis_url) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["checks"]["postgres"].startswith("failed")
        assert body["checks"]["redis"] == "ok"
        assert body["error"]["details"] == {"failed": ["postgres"]}


async def test_metrics_count_ingested_events_and_commits(postgres_url: str, redis_url: str) -> None:
    async with app_client_with(postgres_url, redis_url, metrics__tenant_labels=True) as client:
        tenant = await create_tenant(client)
        before = (await client.get("/metrics", headers=METRICS)).text
        commits_before = metric_value(before, "logplane_group_commit_events_count")
        events_before = metric_value(before, "logplane_group_commit_events_sum")

        single = await client.post("/api/v1/logs", json={"message": "m"}, headers=tenant.headers)
        bulk = await client.post("/api/v1/logs/bulk", json=[{"message": "a"}, {"message": "b"}], headers=tenant.headers)
        assert single.status_code == bulk.status_code == 201

        response = await client.get("/metrics", headers=METRICS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE logplane_ingested_events_total counter" in text
    assert "# TYPE logplane_group_commit_events histogram" in text
    # Opted in: one series per tenant.
    assert metric_value(text, "logplane_ingested_events_total", f'tenant="{tenant.id}"') == 3.0
    assert metric_value(text, "logplane_group_commit_events_count") == commits_before + 2
    assert metric_value(text, "logplane_group_commit_events_sum") == events_before + 3
    assert 'logplane_http_requests_total{method="POST",route="/api/v1/logs",status="201"}' in text


async def test_metrics_need_the_metrics_token_and_name_no_tenant_by_default(postgres_url: str, redis_url: str) -> None:
    async with app_client_with(postgres_url, redis_url) as client:  # the suite's settings set a token
        tenant = await create_tenant(client)
        assert (await client.post("/api/v1/logs", json={"message": "m"}, headers=tenant.headers)).status_code == 201
        assert_error(await client.get("/metrics"), 401, "missing_credential")
        assert_error(await client.get("/metrics", headers=tenant.headers), 401, "invalid_metrics_token")
        assert_error(await client.get("/metrics", headers=ADMIN), 401, "invalid_metrics_token")
        allowed = await client.get("/metrics", headers=METRICS)
    assert allowed.status_code == 200
    assert tenant.id not in allowed.text
    assert 'logplane_ingested_events_total{tenant="all"}' in allowed.text


async def test_metrics_without_a_token_are_refused_outside_dev(postgres_url: str, redis_url: str) -> None:
    async with app_client_with(postgres_url, redis_url, metrics__token=SecretStr("")) as client:
        assert_error(await client.get("/metrics"), 403, "metrics_disabled")


async def test_metrics_on_their_own_port_are_not_on_the_api(postgres_url: str, redis_url: str) -> None:
    async with app_client_with(postgres_url, redis_url, metrics__port=free_port()) as client:
        assert_error(await client.get("/metrics"), 404, "not_found")
