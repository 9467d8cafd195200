"""Exports compared with PostgreSQL row by row: streamed NDJSON/CSV, and files in S3 via presigned URLs."""

from __future__ import annotations

import csv
import gzip
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pyarrow.parquet as pq

from src.domain.export_format import CSV_COLUMNS
from tests.conftest import create_tenant
from tests.integration.archive.helpers import dsn, wait_task
from tests.integration.conftest import Stack, running_worker

SEVERITY = {1: "TRACE", 5: "DEBUG", 9: "INFO", 13: "WARN", 17: "ERROR", 21: "FATAL"}


def _events(n: int) -> list[dict[str, Any]]:
    base = datetime.now(UTC) - timedelta(hours=2)
    tricky = ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)", 'quote " and, comma', "line\nbreak", "ünïcødé ✓"]
    return [
        {
            "message": tricky[i % len(tricky)] if i % 3 == 0 else f"plain message {i}",
            "timestamp": (base + timedelta(seconds=i, microseconds=i)).isoformat(),
            "severity": ["debug", "info", "warn", "error"][i % 4],
            "service": "=cmd" if i == 5 else f"svc{i % 2}",
            "host": f"h{i % 3}",
            "attributes": {"i": i, "nested": {"k": "v\\"}, "list": [1, "=2"]},
        }
        for i in range(n)
    ]


async def _pg(postgres_url: str, tenant_id: str, **where: str) -> list[dict[str, Any]]:
    sql = "SELECT * FROM logs WHERE tenant_id = $1"
    args: list[Any] = [uuid.UUID(tenant_id)]
    for column, value in where.items():
        args.append(value)
        sql += f" AND {column} = ${len(args)}"
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        rows = await conn.fetch(sql + ' ORDER BY "timestamp" DESC, id DESC', *args)
    finally:
        await conn.close()
    return [dict(r) for r in rows]


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "timestamp": row["timestamp"],
        "received_at": row["received_at"],
        "severity": SEVERITY[row["severity"]],
        "service": row["service"],
        "host": row["host"],
        "user_id": row["user_id"],
        "action": row["action"],
        "trace_id": row["trace_id"],
        "span_id": row["span_id"],
        "message": row["message"],
        "attributes": orjson.loads(row["attributes"]),
    }


def _from_ndjson(data: bytes) -> list[dict[str, Any]]:
    out = []
    for line in data.splitlines():
        item = orjson.loads(line)
        item["timestamp"] = datetime.fromisoformat(item["timestamp"])
        item["received_at"] = datetime.fromisoformat(item["received_at"])
        out.append(item)
    return out


def _from_csv(data: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.reader(io.StringIO(data.decode()))
    header = next(reader)
    rows = []
    for cells in reader:
        item: dict[str, Any] = dict(zip(header, cells, strict=True))
        for key in ("service", "host", "user_id", "action", "trace_id", "span_id"):
            item[key] = item[key] or None
        item["timestamp"] = datetime.fromisoformat(item["timestamp"])
        item["received_at"] = datetime.fromisoformat(item["received_at"])
        rows.append(item)
    return header, rows


def _unformula(value: str | None) -> str | None:
    return value[1:] if value and value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


async def test_streamed_ndjson_and_csv_match_postgres_row_by_row(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    await stack.ingest(tenant.headers, _events(60))
    await stack.ingest(other.headers, _events(5))
    expected = [_expected(r) for r in await _pg(postgres_url, tenant.id)]

    response = await stack.client.get("/api/v1/logs/export", params={"format": "ndjson"}, headers=tenant.headers)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="logs-')
    assert _from_ndjson(response.content) == expected  # the other tenant's rows are absent

    response = await stack.client.get("/api/v1/logs/export", params={"format": "csv"}, headers=tenant.headers)
    header, rows = _from_csv(response.content)
    assert header == list(CSV_COLUMNS)
    for got, want in zip(rows, expected, strict=True):
        assert orjson.loads(_unformula(got.pop("attributes")) or "null") == want["attributes"]
        assert {k: _unformula(v) if isinstance(v, str) else v for k, v in got.items()} == {
            k: v for k, v in want.items() if k != "attributes"
        }
    # Formula injection: every dangerous cell starts with a quote, the rest do not.
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)
    assert '\'=HYPERLINK("http://evil")' in cells and "'=cmd" in cells

    filtered = await stack.client.get(
        "/api/v1/logs/export",
        params={"format": "ndjson", "gzip": "true", "service": "svc1", "severity": "INFO"},
        headers=tenant.headers,
    )
    assert filtered.headers["content-type"] == "application/gzip"
    want = [e for e in expected if e["service"] == "svc1" and e["severity"] == "INFO"]
    assert _from_ndjson(gzip.decompress(filtered.content)) == want and want

    # Oldest first: the order is the outer query's, not the filtering subquery's.
    oldest_first = await stack.client.get(
        "/api/v1/logs/export", params={"format": "ndjson", "sort": "asc"}, headers=tenant.headers
    )
    assert _from_ndjson(oldest_first.content) == expected[::-1]


async def test_export_refuses_bad_requests_with_json_errors(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    for params in ({"format": "xml"}, {"format": "parquet"}, {"from": "yesterday"}, {"bogus": "1"}):
        response = await stack.client.get("/api/v1/logs/export", params=params, headers=tenant.headers)
        assert response.status_code == 422, params
        assert "error" in response.json()


async def test_s3_exports_in_three_formats_match_postgres(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    await stack.ingest(tenant.headers, _events(40))
    expected = [_expected(r) for r in await _pg(postgres_url, tenant.id, host="h1")]
    async with running_worker(stack.settings, "export"):
        results: dict[str, bytes] = {}
        for fmt in ("ndjson", "csv", "parquet"):
            response = await stack.client.post(
                "/api/v1/exports",
                json={"format": fmt, "gzip": fmt == "ndjson", "filters": {"host": "h1"}},
                headers=tenant.headers,
            )
            assert response.status_code == 202, response.text
            task_id = response.json()["task_id"]
            task = await wait_task(stack, tenant.headers, task_id)
            assert task["status"] == "succeeded", task
            status = (await stack.client.get(f"/api/v1/exports/{task_id}", headers=tenant.headers)).json()
            assert status["rows"] == len(expected) and status["url"]
            redirect = await stack.client.get(
                f"/api/v1/exports/{task_id}", params={"redirect": "true"}, headers=tenant.headers
            )
            assert redirect.status_code == 302 and redirect.headers["location"].startswith("http")
            async with httpx.AsyncClient() as plain:
                results[fmt] = (await plain.get(status["url"])).content
            # Another tenant cannot see it.
            foreign = await stack.client.get(f"/api/v1/exports/{task_id}", headers=other.headers)
            assert foreign.status_code == 404
    assert _from_ndjson(gzip.decompress(results["ndjson"])) == expected
    assert [r["id"] for r in _from_csv(results["csv"])[1]] == [e["id"] for e in expected]
    table = pq.read_table(io.BytesIO(results["parquet"])).to_pylist()
    assert [r["id"] for r in table] == [e["id"] for e in expected]
    assert [orjson.loads(r["attributes"]) for r in table] == [e["attributes"] for e in expected]
    assert [r["timestamp"] for r in table] == [e["timestamp"] for e in expected]


async def test_expired_exports_are_gone(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    task_id = (await stack.client.post("/api/v1/exports", json={"format": "csv"}, headers=tenant.headers)).json()[
        "task_id"
    ]
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        await conn.execute(
            "UPDATE async_task SET created_at = now() - interval '8 days' WHERE task_id = $1", uuid.UUID(task_id)
        )
    finally:
        await conn.close()
    response = await stack.client.get(f"/api/v1/exports/{task_id}", headers=tenant.headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "export_expired"
