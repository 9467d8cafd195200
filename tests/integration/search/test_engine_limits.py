"""What the real OpenSearch refuses that the emulator took: each case once, through the API (and the adapter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.query import LogQuery, StatsQuery
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


async def test_a_time_range_from_before_1970_is_422_at_the_api_and_clamped_by_the_adapter(stack: Stack) -> None:
    # `date_nanos` makes the engine refuse a pre-1970 bound with HTTP 400, which surfaced as a 500.
    # The API now refuses such times itself (422, issue 9); the adapter still clamps them to the
    # epoch, so no caller of the port can turn them into an engine error.
    tenant = await create_tenant(stack.client)
    async with running_worker(stack.settings):
        await stack.ingest(tenant.headers, [{"message": "recent"}])
        await stack.wait_searchable(tenant.headers, 1)
    refused = await stack.client.get(
        "/api/v1/logs", params={"from": "1960-01-01T00:00:00Z", "q": "recent"}, headers=tenant.headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "from"
    index = stack.app.state.container.search_index
    tenant_id = UUID(tenant.id)
    page = await index.search(tenant_id=tenant_id, query=LogQuery(start=datetime(1960, 1, 1, tzinfo=UTC)))
    assert page.total == 1
    before = await index.search(
        tenant_id=tenant_id,
        query=LogQuery(start=datetime(1960, 1, 1, tzinfo=UTC), end=datetime(1965, 1, 1, tzinfo=UTC)),
    )
    assert before.total == 0
    stats = await index.stats(
        tenant_id=tenant_id,
        query=StatsQuery(
            start=datetime(1960, 1, 1, tzinfo=UTC),
            end=datetime.now(UTC) + timedelta(minutes=1),
            interval_seconds=86400 * 30,
        ),
    )
    assert stats.total == 1
