"""Raw lines, dry-run parsing, tenant parsers and file uploads, against the real stack."""

from __future__ import annotations

import gzip
import uuid

import asyncpg
import orjson

from tests.conftest import create_tenant
from tests.integration.archive.helpers import dsn, wait_task
from tests.integration.conftest import Stack, running_worker

MIXED = "\n".join(
    [
        '{"ts": "2026-11-24T10:00:00Z", "level": "warn", "msg": "disk almost full", "service": "storage", "pct": 91}',
        '<165>1 2026-11-24T10:00:01.003Z web-1 nginx 4321 ID47 [exampleSDID@32473 iut="3" eventSource="App"] request done',
        '2001:db8::1 - frank [24/Nov/2026:10:00:02 +0000] "GET /a%20b HTTP/1.1" 503 2326 "-" "curl/8.5"',
        'level=error msg="payment declined" service=billing user=42',
        "ERROR something odd happened without any format",
        "java.lang.IllegalStateException: boom",
        "\tat com.acme.Service.run(Service.java:42)",
        "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
    ]
)


async def _rows(postgres_url: str, tenant_id: str) -> list[dict]:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        rows = await conn.fetch(
            'SELECT message, severity, service, attributes FROM logs WHERE tenant_id = $1 ORDER BY "timestamp", id',
            uuid.UUID(tenant_id),
        )
    finally:
        await conn.close()
    return [{**dict(r), "attributes": orjson.loads(r["attributes"])} for r in rows]


async def test_dry_run_detects_each_format_and_stores_nothing(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    response = await stack.client.post("/api/v1/parse", json={"text": MIXED}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    # The exception and its stack frames join the error line before them (as logger.error(msg, e) prints).
    assert [e["parser"] for e in events] == ["json", "syslog", "access_log", "logfmt", "raw"]
    assert [e["line"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["event"]["severity"] == "WARN" and events[0]["event"]["attributes"]["pct"] == 91
    assert events[2]["event"]["severity"] == "ERROR"  # a 503
    assert events[4]["event"]["severity"] == "ERROR"  # inferred from the raw line
    assert events[4]["event"]["message"].count("\n") == 3  # the stack trace joined
    assert await _rows(postgres_url, tenant.id) == []


async def test_raw_lines_are_stored_with_per_line_results(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    response = await stack.client.post(
        "/api/v1/logs/raw",
        params={"service": "fallback-svc"},
        content=MIXED.encode() + b"\n\xff\xfe broken bytes line",
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["accepted"] == 6 and body["rejected"] == 0
    assert [i["line"] for i in body["items"]] == [1, 2, 3, 4, 5, 9]
    rows = await _rows(postgres_url, tenant.id)
    assert len(rows) == 6
    assert {r["service"] for r in rows} >= {"storage", "billing", "fallback-svc"}
    assert any("\ufffd" in r["message"] for r in rows)  # undecodable bytes kept, not dropped
    named = await stack.client.post(
        "/api/v1/logs/raw",
        params={"parser": "access_log"},
        content=b"not an access log line",
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert named.status_code == 201
    unknown = await stack.client.post(
        "/api/v1/logs/raw",
        params={"parser": "nope"},
        content=b"x",
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_parser"


async def test_tenant_parsers_crud_use_and_isolation(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    pattern = r"^(?P<timestamp>\S+) \[(?P<severity>\w+)\] (?P<service>[\w-]+): (?P<message>.*) order=(?P<order>\d+)$"
    created = await stack.client.post(
        "/api/v1/parsers", json={"name": "orders", "pattern": pattern}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    listed = (await stack.client.get("/api/v1/parsers", headers=tenant.headers)).json()
    assert [p["name"] for p in listed["custom"]] == ["orders"] and "json" in listed["builtin"]
    assert (await stack.client.get("/api/v1/parsers", headers=other.headers)).json()["custom"] == []

    line = b"2026-11-24T09:00:00Z [error] shop-api: order failed order=1234"
    stored = await stack.client.post(
        "/api/v1/logs/raw",
        params={"parser": "orders"},
        content=line,
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert stored.status_code == 201
    (row,) = await _rows(postgres_url, tenant.id)
    assert row["service"] == "shop-api" and row["severity"] == 17 and row["message"] == "order failed"
    assert row["attributes"]["order"] == "1234" and row["attributes"]["parser"] == "orders"
    # Another tenant cannot use it.
    foreign = await stack.client.post(
        "/api/v1/logs/raw",
        params={"parser": "orders"},
        content=line,
        headers={**other.headers, "Content-Type": "text/plain"},
    )
    assert foreign.status_code == 422

    bad = await stack.client.post("/api/v1/parsers", json={"name": "bad", "pattern": r"(a)\1"}, headers=tenant.headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_pattern"
    builtin = await stack.client.post(
        "/api/v1/parsers", json={"name": "json", "pattern": r"(?P<message>.*)"}, headers=tenant.headers
    )
    assert builtin.status_code == 409
    reader = (
        await stack.client.post(
            "/api/v1/keys", json={"name": "r", "scopes": ["read", "ingest"]}, headers=tenant.headers
        )
    ).json()["api_key"]
    denied = await stack.client.post(
        "/api/v1/parsers",
        json={"name": "x", "pattern": r"(?P<message>.*)"},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert denied.status_code == 403
    assert (await stack.client.delete("/api/v1/parsers/orders", headers=tenant.headers)).status_code == 204
    assert (await stack.client.delete("/api/v1/parsers/orders", headers=tenant.headers)).status_code == 404


async def test_uploaded_gzip_file_is_parsed_in_batches_with_progress(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    lines = [f'{{"level": "info", "msg": "line {i}"}}' for i in range(12_000)]
    lines[100:100] = ["Traceback (most recent call last):", '  File "app.py", line 3, in <module>', "ValueError: bad"]
    lines.append("no format at all here")
    payload = gzip.compress("\n".join(lines).encode())
    response = await stack.client.post(
        "/api/v1/logs/upload",
        files={"file": ("app.log.gz", payload, "application/gzip")},
        data={"service": "uploader", "environment": "staging"},
        headers=tenant.headers,
    )
    assert response.status_code == 202, response.text
    task_id = response.json()["task_id"]
    async with running_worker(stack.settings, "ingest"):
        task = await wait_task(stack, tenant.headers, task_id, within=120)
    assert task["status"] == "succeeded", task
    assert task["result"]["lines"] == len(lines)
    # The traceback joins the line it follows (as logger.exception prints it): one event, kept raw.
    assert task["result"]["events"] == 12_001
    assert task["result"]["stored"] == 12_001
    assert task["result"]["parse_error_count"] == 2  # that event and the unformatted last line
    rows = await _rows(postgres_url, tenant.id)
    assert len(rows) == 12_001
    assert any(r["message"].endswith("ValueError: bad") for r in rows)
    assert all(r["service"] == "uploader" and r["attributes"]["environment"] == "staging" for r in rows)

    # Running the same task again (a redelivery after a crash) stores nothing twice.
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        await conn.execute("UPDATE async_task SET status = 'pending' WHERE task_id = $1", uuid.UUID(task_id))
    finally:
        await conn.close()
    await stack.app.state.container.publish.execute([await _task(stack, tenant.id, task_id)])
    async with running_worker(stack.settings, "ingest"):
        again = await wait_task(stack, tenant.headers, task_id, within=120)
    assert again["status"] == "succeeded"
    assert len(await _rows(postgres_url, tenant.id)) == 12_001


async def _task(stack: Stack, tenant_id: str, task_id: str):  # type: ignore[no-untyped-def]
    container = stack.app.state.container
    async with container.uow() as uow:
        await uow.act_as_tenant(uuid.UUID(tenant_id))
        return await uow.tasks.get(tenant_id=uuid.UUID(tenant_id), task_id=uuid.UUID(task_id))
