"""LogEvent ↔ OpenSearch document, index names and query translation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from src.adapters.opensearch.query_dsl import to_dsl
from src.domain.logs import LogEvent
from src.domain.query import Cursor, LogQuery
from src.domain.severity import Severity

INDEX_PREFIX = "logplane-logs-"
ALL_INDICES = f"{INDEX_PREFIX}*"


def index_name(timestamp: datetime) -> str:
    """One index per UTC day: `logplane-logs-YYYY.MM.DD` (cheap retention: drop whole days)."""
    return INDEX_PREFIX + timestamp.astimezone(UTC).strftime("%Y.%m.%d")


def to_document(event: LogEvent) -> dict[str, Any]:
    return {
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
        "attributes": event.attributes,
    }


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
        attributes=source.get("attributes") or {},
    )


def to_nanos(timestamp: datetime) -> int:
    delta = timestamp - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def filters(tenant_id: UUID, query: LogQuery) -> dict[str, Any]:
    """The bool query for a tenant: the tenant filter is always the first clause."""
    flt: list[dict[str, Any]] = [{"term": {"tenant_id": str(tenant_id)}}]
    if query.start or query.end:
        bounds: dict[str, str] = {}
        if query.start:
            bounds["gte"] = query.start.astimezone(UTC).isoformat()
        if query.end:
            bounds["lte"] = query.end.astimezone(UTC).isoformat()
        flt.append({"range": {"timestamp": bounds}})
    if query.severities:
        flt.append({"terms": {"severity": sorted(s.name for s in query.severities)}})
    if query.min_severity is not None:
        flt.append({"range": {"severity_number": {"gte": int(query.min_severity)}}})
    for name in ("service", "host", "user_id", "action", "trace_id"):
        value = getattr(query, name)
        if value is not None:
            flt.append({"term": {name: value}})
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


def cursor_after(event: LogEvent) -> Cursor:
    return Cursor(event.timestamp, event.id)
