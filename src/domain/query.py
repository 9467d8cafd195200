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
from src.domain.text import require_storable

# The instants a query may name. Before the epoch there are no logs (events are refused there too);
# far-future bounds overflow date arithmetic in PostgreSQL and OpenSearch, so both are refused up front.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# A histogram bucket of more than ten years answers nothing a chart needs, and bigger ones overflow.
MAX_INTERVAL_SECONDS = 10 * 366 * 86400

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
        invalid = InvalidInput("cursor is not one this API issued", code="invalid_cursor", details={"field": "cursor"})
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            parsed = orjson.loads(raw)
            # Only what `encode` writes: a list of two strings, an aware time in range and a UUID.
            if not isinstance(parsed, list) or len(parsed) != 2 or not all(isinstance(p, str) for p in parsed):
                raise invalid
            ts, log_id = parsed
            moment = datetime.fromisoformat(ts)
            cursor = cls(moment, UUID(log_id))
        except (ValueError, TypeError) as e:
            raise invalid from e
        if moment.tzinfo is None or not EARLIEST <= moment <= LATEST:
            raise invalid
        return cursor


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
    # Any of these pattern ids (a pattern and its aliases: src/domain/patterns/expand.py).
    pattern_ids: tuple[str, ...] = ()
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
        check_moment(self.start, "from")
        check_moment(self.end, "to")
        if self.start and self.end and self.start > self.end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})


def check_moment(value: datetime | None, name: str) -> None:
    """An instant a query may name: aware, and between EARLIEST and LATEST."""
    if value is None:
        return
    if value.tzinfo is None:
        raise InvalidInput(f"{name} needs a UTC offset", details={"field": name})
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput(
            f"{name} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
            code="time_out_of_range",
            details={"field": name, "earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StatsQuery:
    start: datetime
    end: datetime
    interval_seconds: int

    def check(self) -> None:
        check_moment(self.start, "from")
        check_moment(self.end, "to")
        if not 0 < self.interval_seconds <= MAX_INTERVAL_SECONDS:
            raise InvalidInput(
                f"interval must be between 1 second and {MAX_INTERVAL_SECONDS} seconds",
                code="invalid_interval",
                details={"field": "interval", "max_seconds": MAX_INTERVAL_SECONDS},
            )


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
        "pattern_id",
        "q",
        "sort",
        "attributes",
        "q_now",
    }
)


def _when(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str | datetime):
        raise InvalidInput(f"{name} must be an RFC 3339 time string", code="invalid_filter", details={"field": name})
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} needs a UTC offset", details={"field": name})
        return value
    return parse_time(value, now=datetime.now(UTC), field=name)


def _wrong_type(name: str, expected: str) -> InvalidInput:
    return InvalidInput(f"filter {name!r} must be {expected}", code="invalid_filter", details={"field": name})


def _text(filters: dict[str, Any], name: str) -> str | None:
    value = filters.get(name)
    if value is not None and not isinstance(value, str):
        raise _wrong_type(name, "a string")
    return value


def _scalar(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise _wrong_type(name, "a string, number or boolean")


def _attributes(filters: dict[str, Any]) -> dict[str, str]:
    given = filters.get("attributes")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise _wrong_type("attributes", "an object of key: value")
    attributes = {str(k): _scalar(v, f"attributes.{k}") for k, v in given.items()}
    for key, value in filters.items():
        if key.startswith("attr."):
            attributes[key.removeprefix("attr.")] = _scalar(value, key)
    return attributes


def _severities(filters: dict[str, Any]) -> list[str]:
    given = filters.get("severity")
    if given is None or given == "":
        return []
    if isinstance(given, str):
        return [given]
    if isinstance(given, list) and all(isinstance(s, str) for s in given):
        return given
    raise _wrong_type("severity", "a string or a list of strings")


def query_from_filters(filters: dict[str, Any]) -> LogQuery:
    """The search filters as a dict (an export request body, or query parameters): one parser for both.

    Attributes come as {"attributes": {"key": "value"}} or as "attr.<key>" entries. Types are checked
    here, not by the worker that later runs the query: a filter that cannot work is a 422 now."""
    unknown = {k for k in filters if k not in FILTER_NAMES and not k.startswith("attr.")}
    if unknown:
        raise InvalidInput(
            f"unknown filter {sorted(unknown)}", code="invalid_filter", details={"unknown": sorted(unknown)}
        )
    require_storable(filters, field="filters")  # they are stored with the export task
    attributes = _attributes(filters)
    severities = _severities(filters)
    min_severity = _text(filters, "min_severity")
    try:
        parsed_severities = frozenset(normalise_severity(s) for s in severities)
        minimum = normalise_severity(min_severity) if min_severity else None
    except ValueError as e:
        raise InvalidInput(str(e), code="invalid_filter") from e
    sort = _text(filters, "sort") or "desc"
    if sort not in ("asc", "desc"):
        raise InvalidInput("sort is asc or desc", details={"field": "sort"})
    q = _text(filters, "q")
    pattern_id = _text(filters, "pattern_id")
    query = LogQuery(
        start=_when(filters.get("from"), "from"),
        end=_when(filters.get("to"), "to"),
        severities=parsed_severities,
        min_severity=minimum,
        service=_text(filters, "service"),
        host=_text(filters, "host"),
        user_id=_text(filters, "user_id"),
        action=_text(filters, "action"),
        trace_id=_text(filters, "trace_id"),
        attributes=tuple(attributes.items()),
        pattern_ids=(pattern_id,) if pattern_id else (),
        text=parse_text_query(q, now=_when(filters.get("q_now"), "q_now")) if q and q.strip() else None,
        descending=sort == "desc",
        use_cursor=True,
    )
    query.check()
    return query
