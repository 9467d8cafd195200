"""LogEvent ↔ OpenSearch document, index names and query translation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from src.adapters.opensearch.query_dsl import to_dsl
from src.domain.logs import LogEvent
from src.domain.query import Cursor, LogQuery, StatsQuery
from src.domain.severity import Severity

INDEX_PREFIX = "logplane-logs-"
ALL_INDICES = f"{INDEX_PREFIX}*"
# `timestamp` is `date_nanos`: the engine refuses any bound before the epoch in a query (HTTP 400).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Lucene refuses a document holding a term over 32,766 UTF-8 bytes, and `flat_object` indexes every
# leaf as a term `path=value`. Keys and string values are cut to this many bytes for the index
# (8 levels of keys plus a value stay far below the limit); the event is then kept whole in
# `attributes_full`, stored but not indexed, and read back from there.
MAX_INDEXED_BYTES = 2048


def index_name(timestamp: datetime) -> str:
    """One index per UTC day: `logplane-logs-YYYY.MM.DD` (cheap retention: drop whole days)."""
    return INDEX_PREFIX + timestamp.astimezone(UTC).strftime("%Y.%m.%d")


def to_document(event: LogEvent) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": str(event.id),
        "tenant_id": str(event.tenant_id),
        "timestamp": event.timestamp.astimezone(UTC).isoformat(),
        "received_at": event.received_at.astimezone(UTC).isoformat(),
        "severity": event.severity.name,
        "severity_number": int(event.severity),
        "service": event.service,
        "host": event.host,
        "user_id": event.user_id,
        "action": event.action,
        "trace_id": event.trace_id,
        "span_id": event.span_id,
        "message": event.message,
        "pattern_id": event.pattern_id,
    }
    searchable, clipped = _clip(event.attributes)
    document["attributes"] = searchable
    if clipped:
        document["attributes_full"] = event.attributes
    return document


def _cut(text: str) -> tuple[str, bool]:
    raw = text.encode()
    if len(raw) <= MAX_INDEXED_BYTES:
        return text, False
    return raw[:MAX_INDEXED_BYTES].decode(errors="ignore"), True


def _clip(value: Any) -> tuple[Any, bool]:
    """`value` with over-long keys dropped and over-long strings cut, and whether anything changed."""
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, list):
        items = [_clip(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            if len(key.encode()) > MAX_INDEXED_BYTES:
                changed = True
                continue
            out[key], clipped = _clip(item)
            changed = changed or clipped
        return out, changed
    return value, False


def from_document(source: dict[str, Any]) -> LogEvent:
    return LogEvent(
        id=UUID(source["id"]),
        tenant_id=UUID(source["tenant_id"]),
        timestamp=datetime.fromisoformat(source["timestamp"]),
        received_at=datetime.fromisoformat(source["received_at"]),
        severity=Severity(source["severity_number"]),
        service=source.get("service"),
        host=source.get("host"),
        user_id=source.get("user_id"),
        action=source.get("action"),
        trace_id=source.get("trace_id"),
        span_id=source.get("span_id"),
        message=source["message"],
        attributes=source.get("attributes_full") or source.get("attributes") or {},
        pattern_id=source.get("pattern_id"),
    )


def date_bound(timestamp: datetime) -> str:
    """A range bound for `timestamp`: nothing is stored before the epoch, so earlier bounds mean the epoch."""
    return max(timestamp, EPOCH).astimezone(UTC).isoformat()


def to_nanos(timestamp: datetime) -> int:
    delta = timestamp - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def filters(tenant_id: UUID, query: LogQuery) -> dict[str, Any]:
    """The bool query for a tenant: the tenant filter is always the first clause."""
    flt: list[dict[str, Any]] = [{"term": {"tenant_id": str(tenant_id)}}]
    if query.start or query.end:
        bounds: dict[str, str] = {}
        if query.start:
            bounds["gte"] = date_bound(query.start)
        if query.end:
            bounds["lte"] = date_bound(query.end)
        flt.append({"range": {"timestamp": bounds}})
    if query.severities:
        flt.append({"terms": {"severity": sorted(s.name for s in query.severities)}})
    if query.min_severity is not None:
        flt.append({"range": {"severity_number": {"gte": int(query.min_severity)}}})
    for name in ("service", "host", "user_id", "action", "trace_id"):
        value = getattr(query, name)
        if value is not None:
            flt.append({"term": {name: value}})
    if query.pattern_ids:
        flt.append({"terms": {"pattern_id": list(query.pattern_ids)}})
    flt += [{"term": {f"attributes.{k}": v}} for k, v in query.attributes]
    if query.text is not None:
        flt.append(to_dsl(query.text))
    return {"bool": {"filter": flt}}


def search_body(tenant_id: UUID, query: LogQuery) -> dict[str, Any]:
    order = "desc" if query.descending else "asc"
    body: dict[str, Any] = {
        "query": filters(tenant_id, query),
        "sort": [{"timestamp": order}, {"id": order}],
        "size": query.page_size,
        "track_total_hits": True,
    }
    if query.use_cursor:
        if query.cursor is not None:
            body["search_after"] = [to_nanos(query.cursor.timestamp), str(query.cursor.id)]
    else:
        body["from"] = (query.page - 1) * query.page_size
    return body


def stats_body(tenant_id: UUID, query: StatsQuery) -> dict[str, Any]:
    return {
        "size": 0,
        "track_total_hits": True,
        "query": filters(tenant_id, LogQuery(start=query.start, end=query.end)),
        "aggs": {
            "by_severity": {"terms": {"field": "severity", "size": 10}},
            "top_services": {"terms": {"field": "service", "size": 10}},
            "histogram": {
                "date_histogram": {
                    "field": "timestamp",
                    "fixed_interval": f"{query.interval_seconds}s",
                    # Empty buckets too, over the whole asked span (`to` is exclusive).
                    "min_doc_count": 0,
                    # `max` never below `min`: `from=now-1h&to=now-1h` parses to two times a few µs
                    # apart, inside one millisecond, and the engine refuses max < min (was a 500).
                    "extended_bounds": {
                        "min": int(query.start.timestamp() * 1000),
                        "max": max(int(query.start.timestamp() * 1000), int(query.end.timestamp() * 1000) - 1),
                    },
                }
            },
        },
    }


def cursor_after(event: LogEvent) -> Cursor:
    return Cursor(event.timestamp, event.id)
