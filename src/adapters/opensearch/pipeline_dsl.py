"""A query-language pipeline as OpenSearch requests: a composite aggregation paged by after_key, or
a sorted search. Only what OpenSearch answers exactly is sent; the rest raises UnsupportedQuery:
grouping or sorting on attributes (`flat_object` has no doc values of its own type), numeric
aggregates on attributes, and percentiles (t-digest estimates, not PostgreSQL's exact values)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from src.adapters.opensearch.documents import date_bound
from src.adapters.opensearch.query_dsl import field_name, to_dsl
from src.domain.querylang.errors import UnsupportedQuery
from src.domain.querylang.pipeline import TIMESLICE, Aggregate
from src.domain.querylang.table import PipelineQuery
from src.domain.severity import Severity

PAGE = 1000
# Up to this many distinct values the cardinality aggregation counts exactly (OpenSearch's maximum).
PRECISION_THRESHOLD = 40_000


def _unsupported(what: str) -> UnsupportedQuery:
    return UnsupportedQuery(f"the search index cannot answer {what} exactly", backend="opensearch")


def _plain(field: str, what: str) -> str:
    if field.startswith("attr.") or field in ("message", "id"):
        raise _unsupported(what)
    return field_name(field)


def base_query(tenant_id: UUID, query: PipelineQuery) -> dict[str, Any]:
    return {
        "bool": {
            "filter": [
                {"term": {"tenant_id": str(tenant_id)}},
                {
                    "range": {
                        "timestamp": {
                            "gte": date_bound(query.start),
                            "lte": date_bound(query.end),
                        }
                    }
                },
                to_dsl(query.filter),
            ]
        }
    }


def _metric(agg: Aggregate) -> dict[str, Any] | None:
    if agg.function == "count":
        return None
    if agg.function == "bytes":
        raise _unsupported("the bytes of messages")
    assert agg.field is not None
    if agg.function == "count_distinct":
        return {
            "cardinality": {
                "field": _plain(agg.field, "count_distinct of an attribute"),
                "precision_threshold": PRECISION_THRESHOLD,
            }
        }
    if agg.function in ("avg", "min", "max", "sum"):
        return {agg.function: {"field": _plain(agg.field, f"{agg.function} of an attribute")}}
    raise _unsupported("a percentile")


def metrics(query: PipelineQuery) -> dict[str, Any]:
    found = {f"m{i}": _metric(a) for i, a in enumerate(query.plan.aggregates)}
    return {name: body for name, body in found.items() if body is not None}


def sources(query: PipelineQuery) -> list[dict[str, Any]]:
    plan = query.plan
    out: list[dict[str, Any]] = []
    if plan.timeslice_seconds:
        out.append(
            {TIMESLICE: {"date_histogram": {"field": "timestamp", "fixed_interval": f"{plan.timeslice_seconds}s"}}}
        )
    for i, field in enumerate(plan.group_by):
        out.append({f"g{i}": {"terms": {"field": _plain(field, "a grouping by an attribute"), "missing_bucket": True}}})
    return out


def group_row(query: PipelineQuery, key: dict[str, Any], doc_count: int, aggs: dict[str, Any]) -> dict[str, Any]:
    plan = query.plan
    row: dict[str, Any] = {}
    if plan.timeslice_seconds:
        row[TIMESLICE] = datetime.fromtimestamp(key[TIMESLICE] / 1000, UTC)
    for i, field in enumerate(plan.group_by):
        value = key[f"g{i}"]
        row[field] = Severity(int(value)).name if field == "severity" and value is not None else value
    for i, agg in enumerate(plan.aggregates):
        if agg.function == "count":
            row[agg.column] = doc_count
        elif agg.function == "count_distinct":
            row[agg.column] = int(aggs.get(f"m{i}", {}).get("value") or 0)
        else:
            value = aggs.get(f"m{i}", {}).get("value")
            row[agg.column] = None if value is None else float(value)
    return row


def events_body(tenant_id: UUID, query: PipelineQuery) -> dict[str, Any]:
    sort: list[dict[str, Any]] = [
        {_plain(name, "a sort on an attribute or the message"): {"order": "desc" if d else "asc", "missing": "_last"}}
        for name, d in query.plan.sort
    ]
    return {
        "query": base_query(tenant_id, query),
        "sort": [*sort, {"timestamp": "desc"}, {"id": "desc"}],
        "size": query.event_limit,
    }
