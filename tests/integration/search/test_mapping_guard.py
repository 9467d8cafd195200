"""Issue 10, finding 3: a search backend that lost its template never gets a dynamically mapped index.

Against the real search server of the integration stack: the template is put back before the first
write into a new daily index, and an index mapped wrongly (as dynamic mapping would: `tenant_id`
as text) is refused rather than written into.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from opensearchpy import AsyncOpenSearch

from src.adapters.opensearch.documents import index_name
from src.adapters.opensearch.provision import TEMPLATE_NAME, ensure_index_template
from src.adapters.opensearch.search_index import OpenSearchIndex
from src.domain.errors import DependencyUnavailable
from src.domain.logs import LogEvent
from src.domain.query import LogQuery
from src.domain.severity import Severity
from tests.integration.search_engine import SearchNode


def _event(at: datetime) -> LogEvent:
    return LogEvent(
        id=uuid4(),
        tenant_id=uuid4(),
        timestamp=at,
        received_at=at,
        message="guarded",
        severity=Severity.INFO,
        service=None,
        host=None,
        user_id=None,
        action=None,
        trace_id=None,
        span_id=None,
        attributes={},
    )


async def test_a_lost_template_is_put_back_before_a_new_daily_index_is_written(search_node: SearchNode) -> None:
    client = AsyncOpenSearch(hosts=[search_node.url])
    index = OpenSearchIndex.from_url(search_node.url)
    at = datetime.now(UTC) - timedelta(days=3000)  # a day no other test writes
    try:
        await ensure_index_template(search_node.url)
        await client.indices.delete_index_template(name=TEMPLATE_NAME)
        report = await index.index([_event(at)])
        assert report.failed == 0
        mapping = await client.indices.get_mapping(index=index_name(at))
        assert next(iter(mapping.values()))["mappings"]["properties"]["tenant_id"]["type"] == "keyword"
        assert await client.indices.exists_index_template(name=TEMPLATE_NAME)
    finally:
        await ensure_index_template(search_node.url)
        await client.indices.delete(index=index_name(at), ignore_unavailable=True)
        await client.close()
        await index.close()


async def test_a_wrongly_mapped_index_is_refused_not_written(search_node: SearchNode) -> None:
    client = AsyncOpenSearch(hosts=[search_node.url])
    index = OpenSearchIndex.from_url(search_node.url)
    at = datetime.now(UTC) - timedelta(days=3001)
    name = index_name(at)
    try:
        await ensure_index_template(search_node.url)
        await client.indices.delete_index_template(name=TEMPLATE_NAME)
        # What a write without the template made: dynamic mapping, tenant_id as text.
        await client.index(index=name, body={"tenant_id": "t", "message": "dynamic"}, refresh=True)
        await ensure_index_template(search_node.url)
        with pytest.raises(DependencyUnavailable) as refused:
            await index.index([_event(at)])
        assert refused.value.code == "search_mapping_invalid"
        assert (await client.count(index=name))["count"] == 1  # nothing was added
        # Searching is an error too, never an empty success (the API then falls back or says 503).
        with pytest.raises(DependencyUnavailable):
            await index.search(tenant_id=uuid4(), query=LogQuery())
    finally:
        await ensure_index_template(search_node.url)
        await client.indices.delete(index=name, ignore_unavailable=True)
        await client.close()
        await index.close()


async def test_a_daily_index_from_before_pattern_ids_gets_the_field_before_it_is_written(
    search_node: SearchNode,
) -> None:
    from dataclasses import replace

    from src.adapters.opensearch.provision import TEMPLATE

    client = AsyncOpenSearch(hosts=[search_node.url])
    index = OpenSearchIndex.from_url(search_node.url)
    at = datetime.now(UTC) - timedelta(days=3100)  # a day no other test writes
    name = index_name(at)
    # The strict mapping as it was before issue 13: no `pattern_id`, so a document with one is refused.
    old = {k: v for k, v in TEMPLATE["template"]["mappings"]["properties"].items() if k != "pattern_id"}
    try:
        await client.indices.create(
            index=name, body={"mappings": {"dynamic": "strict", "properties": old}, "settings": {"number_of_shards": 1}}
        )
        event = replace(_event(at), pattern_id="0123456789abcdef")
        report = await index.index([event])
        assert (report.indexed, report.failed) == (1, 0), report.errors
        await client.indices.refresh(index=name)
        query = LogQuery(
            start=at - timedelta(minutes=1), end=at + timedelta(minutes=1), pattern_ids=("0123456789abcdef",)
        )
        page = await index.search(tenant_id=event.tenant_id, query=query)
        assert [e.pattern_id for e in page.items] == ["0123456789abcdef"]
    finally:
        await client.indices.delete(index=name, params={"ignore_unavailable": "true"})
        await client.close()
        await index.close()


async def test_readiness_reports_a_wrongly_mapped_index_of_any_kept_day_while_workers_go_on(
    search_node: SearchNode,
) -> None:
    """Not only today's index: an older daily index mapped by dynamic mapping fails readiness
    (`ready`), while the workers' probe (`ping`) still answers, so today's indexing goes on."""
    client = AsyncOpenSearch(hosts=[search_node.url])
    index = OpenSearchIndex.from_url(search_node.url)
    old = datetime.now(UTC) - timedelta(days=3002)
    try:
        await ensure_index_template(search_node.url)
        await client.indices.delete_index_template(name=TEMPLATE_NAME)
        await client.index(index=index_name(old), body={"tenant_id": "t", "message": "dynamic"}, refresh=True)
        await ensure_index_template(search_node.url)
        with pytest.raises(DependencyUnavailable) as refused:
            await index.ready()
        assert refused.value.code == "search_mapping_invalid"
        assert isinstance(refused.value.details, dict) and refused.value.details["index"] == index_name(old)
        await index.ping()
        today = datetime.now(UTC)
        assert (await index.index([_event(today)])).failed == 0
    finally:
        await ensure_index_template(search_node.url)
        await client.indices.delete(index=index_name(old), ignore_unavailable=True)
        await client.close()
        await index.close()
