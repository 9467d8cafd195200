"""Exporting a million rows keeps the API process's memory flat (RSS sampled while it streams)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson

from tests.integration.archive.helpers import dsn
from tests.integration.conftest import ApiProcess

ROWS = 1_000_000


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _load(postgres_url: str, tenant_id: uuid.UUID) -> None:
    base = datetime.now(UTC) - timedelta(days=1)
    attributes = orjson.dumps({"path": "/api/orders", "status": 200}).decode()
    records = (
        (
            uuid.uuid4(),
            tenant_id,
            base + timedelta(microseconds=i * 50),
            base,
            9,
            "checkout",
            f"GET /api/orders/{i} 200 {i % 900} ms user=u{i % 5000}",
            "web-1",
            attributes,
        )
        for i in range(ROWS)
    )
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        await conn.copy_records_to_table(
            "logs",
            records=records,
            columns=[
                "id",
                "tenant_id",
                "timestamp",
                "received_at",
                "severity",
                "service",
                "message",
                "host",
                "attributes",
            ],
        )
    finally:
        await conn.close()


async def test_a_million_row_export_streams_in_flat_memory(two_apis, postgres_url: str) -> None:
    api: ApiProcess = two_apis[0]
    async with httpx.AsyncClient(base_url=api.url, timeout=300) as client:
        from tests.integration.stream.test_live_stream import ADMIN_HEADERS

        created = (
            await client.post("/api/v1/tenants", json={"name": f"m-{uuid.uuid4().hex[:8]}"}, headers=ADMIN_HEADERS)
        ).json()
        headers = {"Authorization": f"Bearer {created['api_key']}"}
        await _load(postgres_url, uuid.UUID(created["tenant_id"]))
        warm = await client.get("/api/v1/logs/export", params={"service": "none"}, headers=headers)
        assert warm.status_code == 200
        baseline = _rss_mib(api.process.pid)
        peak = baseline
        lines = 0
        async with client.stream(
            "GET", "/api/v1/logs/export", params={"format": "ndjson"}, headers=headers
        ) as response:
            assert response.status_code == 200
            async for chunk in response.aiter_bytes():
                lines += chunk.count(b"\n")
                peak = max(peak, _rss_mib(api.process.pid))
                await asyncio.sleep(0)
    assert lines == ROWS
    # A buffered export of a million rows would need hundreds of MiB; streaming stays near flat.
    print(f"export of {ROWS} rows: RSS {baseline:.0f} -> peak {peak:.0f} MiB")
    assert peak - baseline < 64, f"RSS grew from {baseline:.0f} to {peak:.0f} MiB"
