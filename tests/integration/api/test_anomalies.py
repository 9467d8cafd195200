"""Anomalies through the real API and PostgreSQL: a baseline, then a burst, a run, the anomaly read
back with its sentence and link, the run's task, and isolation between tenants (API and RLS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import assert_error, bearer, create_key, plain_url
from tests.polling import eventually

BASE = "/api/v1/anomalies"
MIN = timedelta(minutes=1)


@pytest.fixture
async def as_app(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(plain_url(postgres_url), server_settings={"role": "logplane_app"})
    try:
        yield conn
    finally:
        await conn.close()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def workload(now: datetime) -> tuple[list[dict[str, Any]], datetime]:
    """An hour of 20 events/min for `checkout` (an error every third minute) up to the current
    minute, and 30 more errors in one minute five minutes ago. Returns the events and that minute."""
    current = now.replace(second=0, microsecond=0)
    burst = current - 5 * MIN
    events: list[dict[str, Any]] = []
    for m in range(64, -1, -1):
        minute = current - m * MIN
        for i in range(20):
            error = i == 0 and m % 3 == 0
            events.append(
                {
                    "timestamp": _iso(minute + timedelta(seconds=i * 2.5)),
                    "message": "payment failed" if error else "payment accepted",
                    "severity": "error" if error else "info",
                    "service": "checkout",
                }
            )
        if minute == burst:
            events += [
                {
                    "timestamp": _iso(minute + timedelta(seconds=30, milliseconds=i)),
                    "message": "card processor timeout",
                    "severity": "critical" if i % 2 else "error",
                    "service": "checkout",
                }
                for i in range(30)
            ]
    return events, burst


async def _ingest(client: httpx.AsyncClient, tenant: TenantHandle, events: list[dict[str, Any]]) -> None:
    response = await client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)
    assert response.status_code in (200, 201), response.text


async def test_a_burst_is_found_described_and_linked_and_the_run_is_a_task(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    events, burst = workload(datetime.now(UTC))
    await _ingest(app_client, tenant, events)

    ran = await app_client.post(f"{BASE}/runs", headers=tenant.headers)
    assert ran.status_code == 200, ran.text
    run = ran.json()
    assert run["windows_scored"] >= 60 and run["anomalies_found"] == 1 and run["task_id"]

    listed = await app_client.get(BASE, headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    [anomaly] = listed.json()["items"]
    assert anomaly["service"] == "checkout"
    assert datetime.fromisoformat(anomaly["window_start"]) == burst
    assert datetime.fromisoformat(anomaly["window_end"]) == burst + MIN
    assert 0.5 <= anomaly["score"] <= 1
    assert anomaly["features"]["volume"] >= 50 and anomaly["features"]["errors"] >= 30
    assert anomaly["drivers"][0]["feature"] in ("error_ratio", "errors")
    assert "error ratio 6" in anomaly["sentence"] and "vs 0% usual" in anomaly["sentence"], anomaly["sentence"]

    # The link is the search of that window's events.
    async def window_events() -> int:
        found = await app_client.get(anomaly["link"], headers=tenant.headers)
        assert found.status_code == 200, found.text
        return int(found.json()["total"]) if found.json()["total"] == len(found.json()["items"]) else 0

    assert await eventually(window_events, within=30, what="the window's events through its link") == 50

    tasks = (await app_client.get("/api/v1/tasks", headers=tenant.headers)).json()["items"]
    [task] = [t for t in tasks if t["task_type"] == "anomaly_detection"]
    assert task["task_id"] == run["task_id"] and task["status"] == "succeeded"
    assert task["result"]["windows_scored"] == run["windows_scored"]
    assert task["result"]["anomalies_found"] == 1 and task["result"]["duration_ms"] >= 0

    # Running again starts where the first run ended, and the anomaly is still there once.
    again = (await app_client.post(f"{BASE}/runs", headers=tenant.headers)).json()
    assert again["anomalies_found"] == 0
    assert datetime.fromisoformat(again["from"]) == datetime.fromisoformat(run["to"])
    assert len((await app_client.get(BASE, headers=tenant.headers)).json()["items"]) == 1

    # Filters.
    q = {"service": "checkout", "min_score": anomaly["score"], "from": _iso(burst), "to": _iso(burst)}
    assert len((await app_client.get(BASE, params=q, headers=tenant.headers)).json()["items"]) == 1
    for params in ({"service": "search"}, {"min_score": 1.0 if anomaly["score"] < 1 else 2}, {"to": _iso(burst - MIN)}):
        got = await app_client.get(BASE, params=params, headers=tenant.headers)
        assert got.status_code in (200, 422) and got.json().get("items", []) == []

    # Another tenant sees nothing, and its own run finds nothing of the first tenant's.
    assert (await app_client.get(BASE, headers=other_tenant.headers)).json()["items"] == []
    theirs = (await app_client.post(f"{BASE}/runs", headers=other_tenant.headers)).json()
    assert theirs["windows_scored"] == 0 and theirs["task_id"] is None
    assert (await app_client.get(BASE, headers=other_tenant.headers)).json()["items"] == []


async def test_row_level_security_hides_anomalies_of_other_tenants(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, as_app: asyncpg.Connection
) -> None:
    events, _ = workload(datetime.now(UTC))
    await _ingest(app_client, tenant, events)
    assert (await app_client.post(f"{BASE}/runs", headers=tenant.headers)).json()["anomalies_found"] == 1
    async with as_app.transaction():
        await as_app.execute("SELECT set_config('logplane.tenant_id', $1, true)", other_tenant.id)
        for table in ("anomalies", "anomaly_windows", "anomaly_watermarks"):
            assert await as_app.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1::uuid", tenant.id) == 0
    async with as_app.transaction():
        await as_app.execute("SELECT set_config('logplane.tenant_id', $1, true)", tenant.id)
        assert await as_app.fetchval("SELECT count(*) FROM anomalies") == 1


async def test_bad_parameters_are_422_and_running_needs_admin(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    assert_error(await app_client.get(BASE, params={"min_score": "2"}, headers=tenant.headers), 422)
    assert_error(await app_client.get(BASE, params={"limit": "0"}, headers=tenant.headers), 422)
    assert_error(await app_client.get(BASE, params={"from": "yesterday"}, headers=tenant.headers), 422)
    backwards = await app_client.get(BASE, params={"from": "now", "to": "now-1h"}, headers=tenant.headers)
    assert_error(backwards, 422)
    assert_error(await app_client.get(BASE), 401)
    reader = bearer((await create_key(app_client, tenant.api_key, ["read"]))["api_key"])
    assert (await app_client.get(BASE, headers=reader)).status_code == 200
    assert_error(await app_client.post(f"{BASE}/runs", headers=reader), 403)


async def test_only_the_leader_schedules_runs_and_another_takes_over(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    from src.adapters.postgres.leader_lock import PostgresLeaderLock
    from src.usecases.schedule_anomaly_detection import ScheduleAnomalyDetection
    from workers.anomalies import ANOMALY_LOCK_KEY

    container = app_client.app.state.container  # type: ignore[attr-defined]
    detect = container.run_anomaly_detection._detect
    key = ANOMALY_LOCK_KEY + 1  # not the key a running worker would hold
    leader, follower = (PostgresLeaderLock(container.owner_engine, key=key) for _ in range(2))
    try:
        events, _ = workload(datetime.now(UTC))
        await _ingest(app_client, tenant, events)
        assert await leader.try_acquire()
        # The follower does nothing while the leader holds the lock (the leader's own run over every
        # tenant of this shared database is the unit tests' and the run-now route's business).
        assert await ScheduleAnomalyDetection(container.uow, follower, detect).execute() == []
        assert (await app_client.get(BASE, headers=tenant.headers)).json()["items"] == []
        await leader.release()
        assert await follower.try_acquire()
    finally:
        await leader.release()
        await follower.release()


async def test_the_anomalies_worker_finds_the_burst_on_its_schedule(
    app_client: httpx.AsyncClient, tenant: TenantHandle, postgres_url: str, tmp_path: Path
) -> None:
    from tests.conftest import make_settings
    from tests.integration.conftest import running_worker

    events, burst = workload(datetime.now(UTC))
    await _ingest(app_client, tenant, events)
    settings = make_settings(postgres_url, None, anomaly__interval_seconds=0.5, worker__status_dir=str(tmp_path))

    async def found() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await app_client.get(BASE, headers=tenant.headers)).json()["items"]
        return items

    async with running_worker(settings, "anomalies"):
        [anomaly] = await eventually(found, within=120, what="the worker's anomaly")
    assert datetime.fromisoformat(anomaly["window_start"]) == burst
    tasks = (await app_client.get("/api/v1/tasks", headers=tenant.headers)).json()["items"]
    assert [t["user_id"] for t in tasks if t["task_type"] == "anomaly_detection"][-1] == "scheduler"
