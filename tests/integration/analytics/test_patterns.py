"""Patterns through the real platform: ingest → index worker mines → pattern ids in PostgreSQL and the
index → filter by pattern → /api/v1/patterns; a restarted worker keeps the ids; tenants stay apart."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson

from tests.conftest import create_tenant
from tests.integration.analytics.helpers import mined_events
from tests.integration.api.conftest import plain_url
from tests.integration.archive.helpers import wait_task
from tests.integration.conftest import Stack, running_worker

CHECKOUT = "checkout"


def _lines(base: datetime) -> list[dict[str, Any]]:
    """Three templates with values of several kinds, in a realistic interleaving."""
    events = []
    for i in range(30):
        at = (base + timedelta(seconds=i * 7)).isoformat()
        kind = i % 3
        if kind == 0:
            message = f"GET /api/v1/orders/{1000 + i} 200 {10 + i}ms from 10.0.{i}.7"
            severity = "info"
        elif kind == 1:
            message = f"connection to db-{i % 4}.prod.internal:5432 timed out after {3000 + i} ms (attempt {i % 5})"
            severity = "error"
        else:
            message = f"order {uuid.uuid4()} paid amount={i * 3}.50 currency=EUR user=u{i}"
            severity = "info"
        events.append(
            {"message": message, "timestamp": at, "severity": severity, "service": CHECKOUT, "host": f"web-{i % 2}"}
        )
    return events


def _by_pattern(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[item["pattern_id"]].append(item)
    return groups


async def test_events_get_pattern_ids_and_are_filterable_and_listed(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    h = tenant.headers
    base = datetime.now(UTC) - timedelta(minutes=20)
    async with running_worker(stack.settings):
        await stack.ingest(h, _lines(base))
        items = await mined_events(stack, h, 30)

    groups = _by_pattern(items)
    assert len(groups) == 3, {p: [e["message"] for e in g][:2] for p, g in groups.items()}
    assert sorted(len(g) for g in groups.values()) == [10, 10, 10]
    for group in groups.values():
        # One template per group: the first word tells the three apart.
        assert len({e["message"].split()[0] for e in group}) == 1
    timeout_id = next(p for p, g in groups.items() if g[0]["message"].startswith("connection"))

    # PostgreSQL holds the same ids the search documents carry.
    conn = await asyncpg.connect(plain_url(postgres_url))
    try:
        rows = await conn.fetch("SELECT id, pattern_id FROM logs WHERE tenant_id = $1", uuid.UUID(tenant.id))
    finally:
        await conn.close()
    assert {str(r["id"]): r["pattern_id"] for r in rows} == {e["id"]: e["pattern_id"] for e in items}

    # Filtering: the parameter and the query language, on the index and on PostgreSQL.
    by_param = await stack.client.get("/api/v1/logs", params={"pattern_id": timeout_id}, headers=h)
    assert by_param.status_code == 200 and by_param.json()["total"] == 10
    by_q = await stack.client.get("/api/v1/logs", params={"q": f"pattern_id:{timeout_id}"}, headers=h)
    assert by_q.json()["total"] == 10 and by_q.headers["x-logplane-source"] == "opensearch"
    # A regex is PostgreSQL's to answer: the same filter on the fallback backend.
    on_pg = await stack.client.get(
        "/api/v1/logs", params={"q": f'pattern_id:{timeout_id} message:~"timed out"'}, headers=h
    )
    assert on_pg.headers["x-logplane-source"] == "postgres" and on_pg.json()["total"] == 10
    negated = await stack.client.get("/api/v1/logs", params={"q": f"-pattern_id:{timeout_id}"}, headers=h)
    assert negated.json()["total"] == 20

    # The patterns API: counts, error share, sparkline, samples.
    listed = await stack.client.get("/api/v1/patterns", params={"from": "now-1h", "service": CHECKOUT}, headers=h)
    assert listed.status_code == 200, listed.text
    patterns = {p["id"]: p for p in listed.json()["items"]}
    assert set(patterns) == set(groups)
    timeout = patterns[timeout_id]
    assert timeout["count"] == 10 and timeout["errors"] == 10 and timeout["error_share"] == 1.0
    assert "<*>" in timeout["template"] and timeout["template"].startswith("connection to")
    assert sum(b["count"] for b in timeout["sparkline"]) == 10
    assert set(timeout["sample_event_ids"]) <= {e["id"] for e in groups[timeout_id]}
    assert len(timeout["sample_event_ids"]) == 5
    assert all(p["error_share"] == 0.0 for pid, p in patterns.items() if pid != timeout_id)
    one = await stack.client.get(f"/api/v1/patterns/{timeout_id}", params={"from": "now-1h"}, headers=h)
    assert one.status_code == 200 and one.json()["count"] == 10
    text_match = await stack.client.get("/api/v1/patterns", params={"q": "TIMED OUT"}, headers=h)
    assert [p["id"] for p in text_match.json()["items"]] == [timeout_id]

    # New patterns since a time: first seen at or after it.
    assert (
        len((await stack.client.get("/api/v1/patterns", params={"new_since": "now-1h"}, headers=h)).json()["items"])
        == 3
    )
    assert (await stack.client.get("/api/v1/patterns", params={"new_since": "now-1m"}, headers=h)).json()["items"] == []

    # Another tenant sees none of it.
    assert (await stack.client.get("/api/v1/patterns", headers=other.headers)).json()["items"] == []
    missing = await stack.client.get(f"/api/v1/patterns/{timeout_id}", headers=other.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    theirs = await stack.client.get("/api/v1/logs", params={"pattern_id": timeout_id}, headers=other.headers)
    assert theirs.json()["total"] == 0


async def test_a_restarted_worker_restores_patterns_from_postgresql(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    h = tenant.headers
    base = datetime.now(UTC) - timedelta(minutes=10)

    def job(name: str, offset: int) -> dict[str, Any]:
        return {
            "message": f"Job {name} finished",
            "timestamp": (base + timedelta(seconds=offset)).isoformat(),
            "service": "scheduler",
        }

    async with running_worker(stack.settings):
        await stack.ingest(h, [job("alpha", 0), job("beta", 1)])
        first = await mined_events(stack, h, 2)
    (before,) = {e["pattern_id"] for e in first}
    template = (await stack.client.get(f"/api/v1/patterns/{before}", headers=h)).json()["template"]
    assert template == "Job <*> finished"

    # A new worker process starts with no miner in memory: "Job delta finished" is a new line, and
    # only a miner restored from PostgreSQL knows it belongs to the pattern born as "Job alpha finished".
    async with running_worker(stack.settings):
        await stack.ingest(h, [job("delta", 2), job("gamma", 3)])
        after = await mined_events(stack, h, 4)
    assert {e["pattern_id"] for e in after} == {before}
    listed = (await stack.client.get("/api/v1/patterns", headers=h)).json()["items"]
    assert [(p["id"], p["count"]) for p in listed] == [(before, 4)]


async def test_a_merged_pattern_is_read_under_its_survivor_in_search_and_both_exports(
    stack: Stack, postgres_url: str
) -> None:
    # Events keep the id they were mined under; after a merge, reads by the survivor include them.
    tenant, other = await create_tenant(stack.client), await create_tenant(stack.client)
    base = datetime.now(UTC) - timedelta(minutes=30)
    events = _lines(base)
    for who in (tenant, other):
        await stack.ingest(who.headers, events)
    async with running_worker(stack.settings, "index", "export"):
        groups = _by_pattern(await mined_events(stack, tenant.headers, len(events), service=CHECKOUT))
        survivor, alias = sorted(groups, key=lambda p: len(groups[p]))[:2]
        owner = await asyncpg.connect(plain_url(postgres_url))
        try:
            await owner.execute(
                "UPDATE patterns SET merged_into = $3 WHERE tenant_id = $1 AND id = $2",
                uuid.UUID(tenant.id),
                alias,
                survivor,
            )
        finally:
            await owner.close()
        expected = sorted(e["id"] for e in groups[survivor] + groups[alias])

        found = await stack.client.get(
            "/api/v1/logs", params={"pattern_id": survivor, "page_size": 1000}, headers=tenant.headers
        )
        assert sorted(e["id"] for e in found.json()["items"]) == expected
        streamed = await stack.client.get(
            "/api/v1/logs/export", params={"format": "ndjson", "q": f"pattern_id:{survivor}"}, headers=tenant.headers
        )
        assert streamed.status_code == 200, streamed.text
        assert sorted(orjson.loads(line)["id"] for line in streamed.content.splitlines()) == expected
        requested = await stack.client.post(
            "/api/v1/exports", json={"format": "ndjson", "filters": {"pattern_id": survivor}}, headers=tenant.headers
        )
        assert requested.status_code == 202, requested.text
        task = await wait_task(stack, tenant.headers, requested.json()["task_id"])
        assert task["status"] == "succeeded", task
        status = (await stack.client.get(f"/api/v1/exports/{task['task_id']}", headers=tenant.headers)).json()
        async with httpx.AsyncClient() as plain:
            body = (await plain.get(status["url"])).content
        assert sorted(orjson.loads(line)["id"] for line in body.splitlines()) == expected

        # Pattern ids hash the tenant in: the other tenant has none of these, and sees nothing by them.
        theirs = await stack.client.get(
            "/api/v1/logs/export", params={"format": "ndjson", "pattern_id": survivor}, headers=other.headers
        )
        assert theirs.status_code == 200 and theirs.content == b""
