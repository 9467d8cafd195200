"""OpenSearch as the search index: daily indices, routing by tenant, the tenant filter always added."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OsConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError, TransportError
from opensearchpy.helpers import async_bulk

from src.adapters.opensearch.documents import (
    ALL_INDICES,
    cursor_after,
    date_bound,
    filters,
    from_document,
    index_name,
    search_body,
    stats_body,
    to_document,
)
from src.adapters.opensearch.pipeline_dsl import PAGE, base_query, events_body, group_row, metrics, sources
from src.adapters.opensearch.provision import ADDED_FIELDS, TEMPLATE, TEMPLATE_NAME, added_properties
from src.domain.errors import DependencyUnavailable
from src.domain.logs import LogEvent
from src.domain.ports.search_index import IndexReport, SearchIndex, SearchPage
from src.domain.query import LogQuery, LogStats, StatsQuery
from src.domain.querylang.table import MAX_GROUPS, PipelineQuery, PipelineRows, too_many_groups

logger = logging.getLogger(__name__)


def _unavailable(e: Exception) -> DependencyUnavailable:
    return DependencyUnavailable(
        "the search backend (OpenSearch) is unavailable",
        code="search_unavailable",
        details={"dependency": "opensearch", "reason": type(e).__name__},
    )


def _mismapped(index: str, reason: str) -> DependencyUnavailable:
    # Not the task's fault and not to be written around: the index is refused until an operator
    # (or a reindex into a correct index) fixes it; tasks wait instead of failing.
    return DependencyUnavailable(
        f"the search index {index} is wrongly mapped ({reason}); it is not written to",
        code="search_mapping_invalid",
        details={"dependency": "opensearch", "index": index, "reason": reason},
    )


class OpenSearchIndex(SearchIndex):
    """Before the first write into a daily index, the index template is ensured and the index
    created from it (so it is never created by dynamic mapping); an index whose `tenant_id` is not
    a keyword is never written to."""

    def __init__(self, client: AsyncOpenSearch) -> None:
        self._client = client
        self._ready: set[str] = set()
        self._mapping_checked_at = -1e9
        self._mismapped: DependencyUnavailable | None = None

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 10.0) -> OpenSearchIndex:
        return cls(AsyncOpenSearch(hosts=[url], timeout=timeout, max_retries=0))

    async def close(self) -> None:
        await self._client.close()

    async def _prepare(self, name: str) -> None:
        if name in self._ready:
            return
        if not await self._client.indices.exists(index=name):
            await self._client.indices.put_index_template(name=TEMPLATE_NAME, body=TEMPLATE)
            try:
                await self._client.indices.create(index=name)
            except TransportError as e:
                if "already_exists" not in str(e):  # another writer created it meanwhile: checked below
                    raise
        await self._check_mapping(name)
        self._ready.add(name)

    async def _check_mapping(self, name: str) -> None:
        mapping: dict[str, Any] = await self._client.indices.get_mapping(index=name)
        index: dict[str, Any] = next(iter(mapping.values()), {})
        kind = index.get("mappings", {}).get("properties", {}).get("tenant_id", {}).get("type")
        if kind != "keyword":
            raise _mismapped(name, f"tenant_id is {kind or 'unmapped'}, not keyword")
        properties = index.get("mappings", {}).get("properties", {})
        if any(field not in properties for field in ADDED_FIELDS):
            # A daily index made from an older template: its strict mapping would refuse new fields.
            await self._client.indices.put_mapping(index=name, body={"properties": added_properties()})

    async def index(self, events: Sequence[LogEvent]) -> IndexReport:
        if not events:
            return IndexReport(indexed=0, failed=0, errors=[])
        try:
            for name in sorted({index_name(e.timestamp) for e in events}):
                await self._prepare(name)
        except (OsConnectionError, ConnectionTimeout) as e:
            self._ready.clear()  # it may come back empty (a restarted in-memory server)
            raise _unavailable(e) from e
        actions = (
            {
                "_op_type": "index",
                "_index": index_name(e.timestamp),
                "_id": str(e.id),
                "_routing": str(e.tenant_id),
                "_source": to_document(e),
            }
            for e in events
        )
        try:
            ok, errors = await async_bulk(
                self._client, actions, chunk_size=2000, max_chunk_bytes=20 * 1024 * 1024, raise_on_error=False
            )
        except (OsConnectionError, ConnectionTimeout) as e:
            self._ready.clear()
            raise _unavailable(e) from e
        failures = errors if isinstance(errors, list) else []
        return IndexReport(indexed=ok, failed=len(failures), errors=[str(f)[:500] for f in failures[:10]])

    async def _search(self, tenant_id: UUID, body: dict[str, Any]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await self._client.search(
                index=ALL_INDICES, body=body, routing=str(tenant_id), params={"ignore_unavailable": "true"}
            )
            return result
        except NotFoundError:
            return {"hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e
        except TransportError as e:
            if isinstance(e.status_code, int) and e.status_code >= 500:
                raise _unavailable(e) from e
            # The queries are ours: a 400 means an index mapped otherwise than the template says
            # (e.g. aggregating a `service` that dynamic mapping made text).
            await self._refuse_mismapped()
            raise

    async def _refuse_mismapped(self) -> None:
        """Raise when any daily index is wrongly mapped (checked at most every 30 s)."""
        now = time.monotonic()
        if now - self._mapping_checked_at < 30.0 and self._mismapped is None:
            return
        self._mapping_checked_at = now
        self._mismapped = None
        try:
            mappings: dict[str, Any] = await self._client.indices.get_mapping(index=ALL_INDICES)
        except (NotFoundError, TransportError) as e:
            # No index at all, or a backend that cannot tell: the answer stands as it is.
            logger.debug("mapping check skipped: %s", e)
            return
        for name, index in sorted(mappings.items()):
            kind = index.get("mappings", {}).get("properties", {}).get("tenant_id", {}).get("type")
            if kind != "keyword":
                self._mismapped = _mismapped(name, f"tenant_id is {kind or 'unmapped'}, not keyword")
                raise self._mismapped

    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage:
        result = await self._search(tenant_id, search_body(tenant_id, query))
        if not result["hits"]["hits"]:
            # Nothing found may be the truth, or a tenant filter that cannot match a text-mapped
            # tenant_id: an empty answer is only given when the mapping is right.
            await self._refuse_mismapped()
        items = [from_document(hit["_source"]) for hit in result["hits"]["hits"]]
        next_cursor = cursor_after(items[-1]) if len(items) == query.page_size else None
        return SearchPage(items=items, total=int(result["hits"]["total"]["value"]), next_cursor=next_cursor)

    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        if not query.plan.aggregating:
            result = await self._search(tenant_id, events_body(tenant_id, query))
            return PipelineRows(events=[from_document(hit["_source"]) for hit in result["hits"]["hits"]])
        body: dict[str, Any] = {"size": 0, "track_total_hits": True, "query": base_query(tenant_id, query)}
        group_sources, metric_aggs = sources(query), metrics(query)
        if not group_sources:  # one group: the whole selection
            result = await self._search(tenant_id, {**body, "aggs": metric_aggs})
            total = int(result["hits"]["total"]["value"])
            return PipelineRows(groups=[group_row(query, {}, total, result.get("aggregations") or {})])
        groups: list[dict[str, Any]] = []
        after: dict[str, Any] | None = None
        while len(groups) <= MAX_GROUPS:
            composite: dict[str, Any] = {"size": PAGE, "sources": group_sources}
            if after is not None:
                composite["after"] = after
            result = await self._search(
                tenant_id, {**body, "aggs": {"g": {"composite": composite, "aggs": metric_aggs}}}
            )
            found = (result.get("aggregations") or {}).get("g", {})
            buckets = found.get("buckets", [])
            groups += [group_row(query, b["key"], b["doc_count"], b) for b in buckets]
            after = found.get("after_key")
            if len(buckets) < PAGE or after is None:
                break
        if len(groups) > MAX_GROUPS:
            raise too_many_groups()
        return PipelineRows(groups=groups)

    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats:
        body = stats_body(tenant_id, query)
        result = await self._search(tenant_id, body)
        aggs = result.get("aggregations") or {}

        def buckets(name: str) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = aggs.get(name, {}).get("buckets", [])
            return found

        return LogStats(
            total=int(result["hits"]["total"]["value"]),
            by_severity={b["key"]: b["doc_count"] for b in buckets("by_severity")},
            top_services=[(b["key"], b["doc_count"]) for b in buckets("top_services")],
            histogram=[(datetime.fromtimestamp(b["key"] / 1000, UTC), b["doc_count"]) for b in buckets("histogram")],
        )

    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int:
        body = {"query": filters(tenant_id, LogQuery(start=start, end=end))}
        try:
            result = await self._client.count(
                index=ALL_INDICES, body=body, routing=str(tenant_id), params={"ignore_unavailable": "true"}
            )
        except NotFoundError:
            return 0
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e
        return int(result["count"])

    async def delete_range(self, *, tenant_id: UUID, start: datetime | None, end: datetime | None) -> int:
        body = {"query": filters(tenant_id, LogQuery(start=start, end=end))}
        try:
            result = await self._client.delete_by_query(
                index=ALL_INDICES,
                body=body,
                routing=str(tenant_id),
                params={"ignore_unavailable": "true", "refresh": "true", "conflicts": "proceed"},
            )
        except NotFoundError:
            return 0
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e
        return int(result.get("deleted", 0))

    async def delete_archived(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        body = {
            "query": {
                "bool": {
                    "filter": [
                        {"term": {"tenant_id": str(tenant_id)}},
                        {"range": {"timestamp": {"lt": date_bound(before)}}},
                        {"range": {"received_at": {"lt": received_before.astimezone(UTC).isoformat()}}},
                    ]
                }
            }
        }
        try:
            result = await self._client.delete_by_query(
                index=ALL_INDICES,
                body=body,
                routing=str(tenant_id),
                params={"ignore_unavailable": "true", "refresh": "true", "conflicts": "proceed"},
            )
        except NotFoundError:
            return 0
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e
        return int(result.get("deleted", 0))

    async def refresh(self) -> None:
        try:
            await self._client.indices.refresh(index=ALL_INDICES, params={"ignore_unavailable": "true"})
        except NotFoundError:
            return
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e

    async def ready(self) -> None:
        """Readiness (the API's): `ping`, and no daily index there is — every day still kept, not just
        today — is wrongly mapped (one mapping request, its answer kept 30 s while all is well).
        The workers probe with `ping` only: an old mismapped index must not stop today's indexing."""
        await self.ping()
        try:
            await self._refuse_mismapped()
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e

    async def ping(self) -> None:
        """Answers, has the index template (put back when a restarted server lost it), and today's
        index, if any, is mapped right: readiness and the workers' health probe report otherwise."""
        try:
            await self._client.info()
            if not await self._client.indices.exists_index_template(name=TEMPLATE_NAME):
                logger.warning("the search backend lost the index template %s; putting it back", TEMPLATE_NAME)
                self._ready.clear()
                await self._client.indices.put_index_template(name=TEMPLATE_NAME, body=TEMPLATE)
            today = index_name(datetime.now(UTC))
            if await self._client.indices.exists(index=today):
                await self._check_mapping(today)
        except (OsConnectionError, ConnectionTimeout) as e:
            raise _unavailable(e) from e
