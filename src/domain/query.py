"""What a log query may ask. `q` is the query language's filter (src/domain/querylang, docs/query.md)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from src.domain.errors import InvalidInput
from src.domain.querylang.ast import Expr
from src.domain.querylang.language import parse_filter
from src.domain.relative_time import parse_time
from src.domain.severity import Severity, normalise_severity

FIELDS = ("service", "host", "severity", "user_id", "action", "trace_id", "span_id")
MAX_PAGE_DEPTH = 10_000


def parse_text_query(q: str, *, now: datetime | None = None) -> Expr:
    """`q` as a filter; a pipeline (`| stats …`) belongs to GET /api/v1/query, not here."""
    return parse_filter(q, now=now or datetime.now(UTC), where="in a log search, export or stream filter")


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in (timestamp, id) order: stable while new logs arrive, since ids never repeat."""

    timestamp: datetime
    id: UUID

    def encode(self) -> str:
        raw = orjson.dumps([self.timestamp.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            ts, log_id = orjson.loads(raw)
            return cls(datetime.fromisoformat(ts), UUID(log_id))
        except (ValueError, TypeError) as e:
            raise InvalidInput("cursor is not one this API issued", code="invalid_cursor") from e


@dataclass(frozen=True, slots=True, kw_only=True)
class LogQuery:
    start: datetime | None = None
    end: datetime | None = None
    severities: frozenset[Severity] = frozenset()
    min_severity: Severity | None = None
    service: str | None = None
    host: str | None = None
    user_id: str | None = None
    action: str | None = None
    trace_id: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    text: Expr | None = None
    descending: bool = True
    page: int = 1
    page_size: int = 50
    cursor: Cursor | None = None
    use_cursor: bool = False

    def check(self) -> None:
        if not 1 <= self.page_size <= 1000:
            raise InvalidInput("page_size must be 1-1000", details={"field": "page_size"})
        if self.page < 1:
            raise InvalidInput("page must be 1 or more", details={"field": "page"})
        if not self.use_cursor and self.page * self.page_size > MAX_PAGE_DEPTH:
            raise InvalidInput(
                f"page * page_size may not exceed {MAX_PAGE_DEPTH}; use cursor pagination to go deeper",
                code="page_too_deep",
                details={"max_depth": MAX_PAGE_DEPTH},
            )
        if self.start and self.end and self.start > self.end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})


@dataclass(frozen=True, slots=True, kw_only=True)
class StatsQuery:
    start: datetime
    end: datetime
    interval_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LogStats:
    total: int
    by_severity: dict[str, int]
    top_services: list[tuple[str, int]]
    histogram: list[tuple[datetime, int]] = field(default_factory=list)


FILTER_NAMES = frozenset(
    {
        "from",
        "to",
        "severity",
        "min_severity",
        "service",
        "host",
        "user_id",
        "action",
        "trace_id",
        "q",
        "sort",
        "attributes",
        "q_now",
    }
)


def _when(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} needs a UTC offset", details={"field": name})
        return value
    return parse_time(str(value), now=datetime.now(UTC), field=name)


def query_from_filters(filters: dict[str, Any]) -> LogQuery:
    """The search filters as a dict (an export request body, or query parameters): one parser for both.

    Attributes come as {"attributes": {"key": "value"}} or as "attr.<key>" entries."""
    attributes = dict(filters.get("attributes") or {})
    for key, value in filters.items():
        if key.startswith("attr."):
            attributes[key.removeprefix("attr.")] = value
    unknown = {k for k in filters if k not in FILTER_NAMES and not k.startswith("attr.")}
    if unknown:
        raise InvalidInput(
            f"unknown filter {sorted(unknown)}", code="invalid_filter", details={"unknown": sorted(unknown)}
        )
    severities = filters.get("severity") or []
    if isinstance(severities, str):
        severities = [severities]
    try:
        parsed_severities = frozenset(normalise_severity(s) for s in severities)
        minimum = normalise_severity(filters["min_severity"]) if filters.get("min_severity") else None
    except ValueError as e:
        raise InvalidInput(str(e), code="invalid_filter") from e
    sort = filters.get("sort") or "desc"
    if sort not in ("asc", "desc"):
        raise InvalidInput("sort is asc or desc", details={"field": "sort"})
    q = filters.get("q")
    query = LogQuery(
        start=_when(filters.get("from"), "from"),
        end=_when(filters.get("to"), "to"),
        severities=parsed_severities,
        min_severity=minimum,
        service=filters.get("service"),
        host=filters.get("host"),
        user_id=filters.get("user_id"),
        action=filters.get("action"),
        trace_id=filters.get("trace_id"),
        attributes=tuple((str(k), str(v)) for k, v in attributes.items()),
        text=parse_text_query(str(q), now=_when(filters.get("q_now"), "q_now")) if q and str(q).strip() else None,
        descending=sort == "desc",
        use_cursor=True,
    )
    query.check()
    return query
