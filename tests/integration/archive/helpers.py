"""Helpers for archival tests: events on chosen days, task waits, reading archives back."""

from __future__ import annotations

import gzip
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pyarrow.parquet as pq
import zstandard

from tests.integration.conftest import Stack
from tests.polling import until


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def events_on(days_ago: list[int], per_day: int, tag: str) -> list[dict[str, Any]]:
    """`per_day` events on each of those days, a second apart, at any hour of the test run.

    They start at the top of the hour one to two hours back: in the past (a fixed "12:00 today"
    was in the future before noon and refused), and never spread across midnight (one archive
    object per day), as long as per_day stays under an hour of seconds."""
    assert per_day < 3600
    today = (datetime.now(UTC) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return [
        {
            "message": f"{tag} day-{d} n{i} request served in {i * 7 % 300} ms",
            "timestamp": (today - timedelta(days=d) + timedelta(seconds=i)).isoformat(),
            "severity": "warn" if i % 4 == 0 else "info",
            "service": "checkout",
            "host": f"web-{i % 3}",
            "attributes": {"tag": tag, "n": i},
        }
        for d in days_ago
        for i in range(per_day)
    ]


async def wait_task(stack: Stack, headers: dict[str, str], task_id: str, within: float = 60) -> dict[str, Any]:
    task: dict[str, Any] = {}

    async def finished() -> bool:
        nonlocal task
        task = (await stack.client.get(f"/api/v1/tasks/{task_id}", headers=headers)).json()
        return task.get("status") in ("succeeded", "failed")

    await until(finished, within=within, poll=0.2, what=f"task {task_id} finishing")
    return task


async def pg_rows(postgres_url: str, tenant_id: str, before: datetime | None = None) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        sql = 'SELECT id, "timestamp", message, attributes FROM logs WHERE tenant_id = $1'
        args: list[Any] = [uuid.UUID(tenant_id)]
        if before is not None:
            sql += ' AND "timestamp" < $2'
            args.append(before)
        rows = await conn.fetch(sql, *args)
    finally:
        await conn.close()
    return {
        str(r["id"]): {
            "timestamp": r["timestamp"],
            "message": r["message"],
            "attributes": orjson.loads(r["attributes"]),
        }
        for r in rows
    }


def decode_archive(key: str, data: bytes) -> list[dict[str, Any]]:
    """An archive object as a tool would read it (zcat, zstdcat, any Parquet reader), as NDJSON-like dicts."""
    if key.endswith(".ndjson.gz"):
        return [orjson.loads(line) for line in gzip.decompress(data).splitlines() if line]
    if key.endswith(".ndjson.zst"):
        text = zstandard.ZstdDecompressor().decompressobj().decompress(data)
        return [orjson.loads(line) for line in text.splitlines() if line]
    assert key.endswith(".parquet"), key
    table = pq.read_table(io.BytesIO(data))
    tenant = (table.schema.metadata or {})[b"logplane.tenant_id"].decode()
    return [
        {
            "id": str(uuid.UUID(bytes=r["id"])),
            "tenant_id": tenant,
            "timestamp": r["timestamp"].isoformat(),
            "message": r["message"],
            "attributes": orjson.loads(r["attributes"]) if r["attributes"] else {},
            "trace_id": r["trace_id_bytes"].hex() if r["trace_id_bytes"] else r["trace_id"],
        }
        for r in table.to_pylist()
    ]


async def archived_rows(stack: Stack, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every archived event, downloaded through the presigned URLs the API hands out."""
    listing = (await stack.client.get("/api/v1/archives", headers=headers)).json()
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as plain:
        for item in listing["items"]:
            body = await plain.get(item["url"])
            assert body.status_code == 200, body.text
            rows += decode_archive(item["key"], body.content)
    return rows
