"""Archive formats per tenant: Parquet (the default), zstd NDJSON and gzip NDJSON each archive,
download (presigned) and restore exactly what was stored; a tenant that changes its format still
restores its older archives; the platform admin sets the format, a tenant key cannot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, create_tenant
from tests.integration.archive.helpers import decode_archive, dsn, wait_task
from tests.integration.conftest import Stack, running_worker

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
COLUMNS = "id, timestamp, received_at, severity, service, host, user_id, action, trace_id, span_id, message, attributes"


def _events(days_ago: int, tag: str) -> list[dict[str, Any]]:
    """Events whose values stress each encoding: canonical and non-canonical trace/span ids,
    unicode, nested attributes, missing fields, microsecond timestamps."""
    start = (datetime.now(UTC) - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=123456)
    traces = ["4bf92f3577b34da6a3ce929d0e0e4736", "4BF92F3577B34DA6A3CE929D0E0E4736", "req-42", None]
    return [
        {
            "timestamp": (start + timedelta(seconds=i, microseconds=i)).isoformat(),
            "message": f"{tag} event {i} — ünïcödé ✓",
            "severity": ["debug", "info", "warn", "error"][i % 4],
            "service": ["api", "worker"][i % 2],
            "host": f"pod-{i % 3}",
            "trace_id": traces[i % 4],
            "span_id": ["00f067aa0ba902b7", "span-7", None][i % 3],
            "attributes": {"i": i, "nested": {"list": [1, "two", None]}, "k é": "v"} if i % 5 else {},
        }
        for i in range(40)
    ]


async def _rows(postgres_url: str, tenant_id: str) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        rows = await conn.fetch(f"SELECT {COLUMNS} FROM logs WHERE tenant_id = $1", uuid.UUID(tenant_id))
    finally:
        await conn.close()
    return {str(r["id"]): dict(r) for r in rows}


async def _set_format(stack: Stack, tenant_id: str, value: str | None) -> None:
    response = await stack.client.patch(f"/api/v1/tenants/{tenant_id}", json={"archive_format": value}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["archive_format"] == value


async def _archive_and_restore(stack: Stack, postgres_url: str, tenant: Any, days_ago: int, fmt: str) -> None:
    before = datetime.now(UTC) - timedelta(days=days_ago - 1)
    stored = await _rows(postgres_url, tenant.id)
    assert len(stored) == 40
    response = await stack.client.delete(
        "/api/v1/logs/cleanup", params={"before": before.isoformat()}, headers=tenant.headers
    )
    assert response.status_code == 202, response.text
    archive = await wait_task(stack, tenant.headers, response.json()["task_id"])
    assert archive["status"] == "succeeded", archive
    assert archive["result"]["format"] == fmt
    cleanup = await wait_task(stack, tenant.headers, archive["result"]["cleanup_task_id"])
    assert cleanup["result"]["deleted_rows"] == 40
    assert await _rows(postgres_url, tenant.id) == {}

    # Downloaded through the presigned link and read as a tool would: exactly what was stored.
    listing = (await stack.client.get("/api/v1/archives", headers=tenant.headers)).json()["items"]
    assert listing and all(item["key"].endswith(f".{fmt}") for item in listing), listing
    downloaded: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as plain:
        for item in listing:
            body = await plain.get(item["url"])
            assert body.status_code == 200
            downloaded += decode_archive(item["key"], body.content)
    assert sorted(r["id"] for r in downloaded) == sorted(stored)
    for row in downloaded:
        original = stored[row["id"]]
        assert row["message"] == original["message"]
        assert row["trace_id"] == original["trace_id"]
        assert datetime.fromisoformat(row["timestamp"]) == original["timestamp"]

    # The tenant moves on to another format; its older archive is still read in its own.
    await _set_format(stack, tenant.id, "ndjson.gz" if fmt != "ndjson.gz" else "parquet")
    start = datetime.now(UTC) - timedelta(days=days_ago + 1)
    restore_response = await stack.client.post(
        "/api/v1/logs/restore", json={"from": start.isoformat(), "to": before.isoformat()}, headers=tenant.headers
    )
    restore = await wait_task(stack, tenant.headers, restore_response.json()["task_id"])
    assert restore["status"] == "succeeded", restore
    assert restore["result"]["restored"] == 40
    assert await _rows(postgres_url, tenant.id) == stored  # every column, byte for byte


@pytest.mark.parametrize(("fmt", "days_ago"), [("parquet", 34), ("ndjson.zst", 36), ("ndjson.gz", 38)])
async def test_each_format_archives_downloads_and_restores_exactly(
    stack: Stack, postgres_url: str, fmt: str, days_ago: int
) -> None:
    tenant = await create_tenant(stack.client)
    # Events of 34-38 days ago are past the default 30-day retention: the archive worker's retention
    # scheduler (it runs as the worker starts) would archive them too, beside this test's cleanup.
    kept = await stack.client.patch(f"/api/v1/tenants/{tenant.id}", json={"retention_days": 365}, headers=ADMIN)
    assert kept.status_code == 200, kept.text
    if fmt != "parquet":
        await _set_format(stack, tenant.id, fmt)  # parquet: the platform default, nothing to set
    else:
        got = (await stack.client.get(f"/api/v1/tenants/{tenant.id}", headers=ADMIN)).json()
        assert got["archive_format"] is None
    await stack.ingest(tenant.headers, _events(days_ago, fmt))
    async with running_worker(stack.settings, "archive", "cleanup"):
        await _archive_and_restore(stack, postgres_url, tenant, days_ago, fmt)


async def test_archive_format_is_the_platform_admins_to_set(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    by_tenant = await stack.client.patch(
        f"/api/v1/tenants/{tenant.id}", json={"archive_format": "ndjson.gz"}, headers=tenant.headers
    )
    assert by_tenant.status_code in (401, 403)
    unknown = await stack.client.patch(f"/api/v1/tenants/{tenant.id}", json={"archive_format": "csv"}, headers=ADMIN)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"]
    await _set_format(stack, tenant.id, "ndjson.zst")
    await _set_format(stack, tenant.id, None)  # back to the platform default
