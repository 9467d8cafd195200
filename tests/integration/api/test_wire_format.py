"""What every route writes: times relative to now accepted, zero-filled histograms, RFC 3339 `Z` times,
the stored `created_at`, and Retry-After only where a client must wait."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import ADMIN, assert_error
from tests.integration.search.test_indexing import zero_filled_case

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _timestamps(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v)]
    return [value] if isinstance(value, str) and _TIMESTAMP.match(value) else []


async def _bulk(client: httpx.AsyncClient, tenant: TenantHandle, *ages: timedelta) -> list[str]:
    now = datetime.now(UTC)
    events = [{"message": f"aged {age}", "timestamp": (now - age).isoformat()} for age in ages]
    response = await client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_relative_times_are_accepted_wherever_times_are(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    recent, _old = await _bulk(app_client, tenant, timedelta(minutes=10), timedelta(hours=2))
    found = await app_client.get("/api/v1/logs", params={"from": "now-1h", "to": "now"}, headers=tenant.headers)
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [recent]
    both = await app_client.get("/api/v1/logs", params={"from": "now-1d/d"}, headers=tenant.headers)
    assert both.json()["total"] == 2  # now-1d/d is yesterday's midnight: before now-2h at any hour
    stats = await app_client.get(
        "/api/v1/logs/stats", params={"from": "now-3h", "interval": "1h"}, headers=tenant.headers
    )
    assert stats.status_code == 200 and stats.json()["total"] == 2
    cleanup = await app_client.delete("/api/v1/logs/cleanup", params={"before": "now-30d/d"}, headers=tenant.headers)
    assert cleanup.status_code == 202, cleanup.text


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/api/v1/logs", {"from": "0001-01-01T00:00:00Z"}),
        ("/api/v1/logs", {"to": "9999-12-31T23:59:59Z"}),
        ("/api/v1/logs", {"from": "now-99999999999d"}),
        ("/api/v1/logs", {"from": "last tuesday"}),
        ("/api/v1/logs/stats", {"from": "now-1y"}),
        ("/api/v1/logs/stats", {"to": "2024-05-01T12:00:00"}),
        ("/api/v1/archives", {"from": "now-1h/q"}),
    ],
)
async def test_bad_or_out_of_range_times_are_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, route: str, params: dict[str, str]
) -> None:
    error = assert_error(await app_client.get(route, params=params, headers=tenant.headers), 422)
    assert error["details"]["field"] in ("from", "to")


async def test_cleanup_before_out_of_range_is_422(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await app_client.delete("/api/v1/logs/cleanup", params={"before": "now-1h"}, headers=tenant.headers)
    assert response.status_code == 202, response.text
    error = assert_error(
        await app_client.delete(
            "/api/v1/logs/cleanup", params={"before": "0001-01-01T00:00:00Z"}, headers=tenant.headers
        ),
        422,
    )
    assert error["details"]["field"] == "before"


async def test_stats_histogram_from_postgresql_is_zero_filled(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    events, params, expected = zero_filled_case(datetime.now(UTC))
    assert (await app_client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)).status_code == 201
    response = await app_client.get("/api/v1/logs/stats", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-logplane-source"] == "postgres"
    assert response.json()["histogram"] == expected


async def test_created_tenant_answers_its_stored_created_at(
    app_client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    created = await app_client.post("/api/v1/tenants", json={"name": f"c-{uuid.uuid4().hex[:8]}"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    body = created.json()
    stored = await db.fetchval("SELECT created_at FROM tenants WHERE id = $1", uuid.UUID(body["id"]))
    assert body["created_at"] is not None
    assert datetime.fromisoformat(body["created_at"]) == stored
    fetched = await app_client.get(f"/api/v1/tenants/{body['id']}", headers=ADMIN)
    assert fetched.json()["created_at"] == body["created_at"]


async def test_every_timestamp_the_api_writes_is_rfc3339_with_z(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    moment = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    plus_two = timezone(timedelta(hours=2))
    one = await app_client.post(
        "/api/v1/logs",
        json={"message": "tz", "timestamp": moment.astimezone(plus_two).isoformat()},
        headers=tenant.headers,
    )
    assert one.status_code == 201, one.text
    log_id = one.json()["id"]
    cleanup = await app_client.delete(
        "/api/v1/logs/cleanup", params={"before": "2000-01-01T02:00:00+02:00"}, headers=tenant.headers
    )
    stats_params = {
        "from": (moment - timedelta(hours=2)).astimezone(timezone(timedelta(hours=5))).isoformat(),
        "to": (moment + timedelta(minutes=30)).astimezone(plus_two).isoformat(),
        "interval": "1h",
    }
    responses = [
        one,
        await app_client.get(f"/api/v1/logs/{log_id}", headers=tenant.headers),
        await app_client.get("/api/v1/logs", params={"from": "now-1d"}, headers=tenant.headers),
        await app_client.get("/api/v1/logs/stats", params=stats_params, headers=tenant.headers),
        await app_client.get(f"/api/v1/tasks/{cleanup.json()['task_id']}", headers=tenant.headers),
        await app_client.get("/api/v1/tasks", headers=tenant.headers),
        await app_client.post("/api/v1/tenants", json={"name": f"z-{uuid.uuid4().hex[:8]}"}, headers=ADMIN),
        await app_client.get("/api/v1/tenants", headers=ADMIN),
    ]
    seen = []
    for response in responses:
        assert response.status_code < 300, response.text
        seen += _timestamps(response.json())
    assert len(seen) > 10
    assert [t for t in seen if not _RFC3339_Z.match(t)] == []
    assert moment.isoformat().replace("+00:00", "Z") in seen  # the event's own time, converted to UTC


async def test_retry_after_only_on_refusals(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for response in (
        await app_client.post("/api/v1/logs", json={"message": "m"}, headers=tenant.headers),
        await app_client.get("/api/v1/logs", headers=tenant.headers),
        await app_client.get("/api/v1/tenants", headers=ADMIN),
    ):
        assert response.status_code < 300, response.text
        assert "retry-after" not in response.headers
        assert response.headers["x-ratelimit-reset"].isdigit()


async def test_an_export_task_keeps_relative_times_as_of_the_request(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    before = datetime.now(UTC)
    response = await app_client.post(
        "/api/v1/exports", json={"format": "ndjson", "filters": {"from": "now-1h", "to": "now"}}, headers=tenant.headers
    )
    after = datetime.now(UTC)
    assert response.status_code == 202, response.text
    task = (await app_client.get(f"/api/v1/tasks/{response.json()['task_id']}", headers=tenant.headers)).json()
    pinned = task["payload"]["filters"]
    assert _RFC3339_Z.match(pinned["from"]) and _RFC3339_Z.match(pinned["to"])
    assert before - timedelta(hours=1) <= datetime.fromisoformat(pinned["from"]) <= after - timedelta(hours=1)
    assert before <= datetime.fromisoformat(pinned["to"]) <= after
