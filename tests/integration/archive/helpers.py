"""Helpers for archival tests: events on chosen days, task waits, reading archives back."""

from __future__ import annotations

import asyncio
import gzip
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson

from tests.integration.conftest import Stack


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def events_on(days_ago: list[int], per_day: int, tag: str) -> list[dict[str, Any]]:
    # Noon, or earlier today when noon is still ahead: ingest refuses timestamps in the future.
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = max(midnight, min(midnight + timedelta(hours=12), now - timedelta(seconds=per_day + 60)))
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
    deadline = asyncio.get_running_loop().time() + within
    task: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        task = (await stack.client.get(f"/api/v1/tasks/{task_id}", headers=headers)).json()
        if task.get("status") in ("succeeded", "failed"):
            return task
        await asyncio.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish: {task}")


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


async def archived_rows(stack: Stack, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every archived event, downloaded through the presigned URLs the API hands out."""
    listing = (await stack.client.get("/api/v1/archives", headers=headers)).json()
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as plain:
        for item in listing["items"]:
            body = await plain.get(item["url"])
            assert body.status_code == 200, body.text
            rows += [orjson.loads(line) for line in gzip.decompress(body.content).splitlines() if line]
    return rows
