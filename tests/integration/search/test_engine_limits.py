"""What the real OpenSearch refuses that the emulator took: each case once, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import create_tenant
from tests.integration.conftest import Stack, running_worker


async def test_an_attribute_value_too_long_for_a_term_neither_blocks_its_batch_nor_is_cut(stack: Stack) -> None:
    # Lucene refuses terms over 32,766 bytes; a refused document failed the whole indexing task.
    tenant = await create_tenant(stack.client)
    big = "é" * 20_000  # 40,000 UTF-8 bytes, within the 64 KiB attribute budget
    now = datetime.now(UTC) - timedelta(minutes=5)
    events = [
        {"message": f"neighbour {i}", "timestamp": (now + timedelta(seconds=i)).isoformat()} for i in range(4)
    ] + [{"message": "carries a stack dump", "attributes": {"dump": big, "kind": "crash", "long" * 600: "key"}}]
    async with running_worker(stack.settings):
        await stack.ingest(tenant.headers, events)
        await stack.wait_searchable(tenant.headers, 5)
    found = await stack.client.get("/api/v1/logs", params={"attr.kind": "crash"}, headers=tenant.headers)
    assert found.headers["x-logplane-source"] == "opensearch"
    (item,) = found.json()["items"]
    assert item["attributes"] == {"dump": big, "kind": "crash", "long" * 600: "key"}


async def test_a_time_range_from_before_1970_is_answered_by_the_index(stack: Stack) -> None:
    # `date_nanos` makes the engine refuse such a bound with HTTP 400, which surfaced as a 500.
    tenant = await create_tenant(stack.client)
    async with running_worker(stack.settings):
        await stack.ingest(tenant.headers, [{"message": "recent"}])
        await stack.wait_searchable(tenant.headers, 1)
    params = {"from": "1960-01-01T00:00:00Z", "q": "recent"}
    response = await stack.client.get("/api/v1/logs", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 1
    before = await stack.client.get(
        "/api/v1/logs", params={**params, "to": "1965-01-01T00:00:00Z"}, headers=tenant.headers
    )
    assert before.status_code == 200 and before.json()["total"] == 0
    stats = await stack.client.get(
        "/api/v1/logs/stats", params={"from": "1960-01-01T00:00:00Z", "interval": "30d"}, headers=tenant.headers
    )
    assert stats.status_code == 200 and stats.json()["total"] == 1
