"""Server-side filters for the live stream, applied to events in their public (wire) shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from src.domain.errors import InvalidInput
from src.domain.querylang.ast import Expr
from src.domain.querylang.language import parse_filter
from src.domain.querylang.matcher import matches
from src.domain.severity import Severity, normalise_severity


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamFilter:
    severities: frozenset[str] = frozenset()
    min_severity: Severity | None = None
    services: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    # `q`: the query language's filter, evaluated here in process (no pipeline on a stream).
    expr: Expr | None = None

    def matches(self, event: dict[str, Any]) -> bool:
        severity = event.get("severity")
        if self.severities and severity not in self.severities:
            return False
        if self.min_severity is not None and (
            not isinstance(severity, str)
            or severity not in Severity.__members__
            or Severity[severity] < self.min_severity
        ):
            return False
        if self.services and event.get("service") not in self.services:
            return False
        if self.hosts and event.get("host") not in self.hosts:
            return False
        return self.expr is None or matches(self.expr, event)


def _many(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise InvalidInput("filter values are strings or lists of strings", code="invalid_filter")


def parse_stream_filter(raw: dict[str, Any]) -> StreamFilter:
    """From query parameters at connect time or a `{"type": "filter", ...}` message later."""
    known = {"severity", "min_severity", "service", "host", "q"}
    unknown = set(raw) - known
    if unknown:
        raise InvalidInput(
            f"unknown filter {sorted(unknown)}; use {sorted(known)}",
            code="invalid_filter",
            details={"unknown": sorted(unknown)},
        )
    try:
        severities = frozenset(normalise_severity(s).name for s in _many(raw.get("severity")))
        min_raw = raw.get("min_severity")
        minimum = normalise_severity(min_raw) if min_raw else None
    except ValueError as e:
        raise InvalidInput(str(e), code="invalid_filter") from e
    q = raw.get("q")
    if q is not None and not isinstance(q, str):
        raise InvalidInput("q is a string", code="invalid_filter", details={"field": "q"})
    return StreamFilter(
        severities=severities,
        min_severity=minimum,
        services=frozenset(_many(raw.get("service"))),
        hosts=frozenset(_many(raw.get("host"))),
        expr=parse_filter(q, now=datetime.now(UTC), where="on a live stream") if q and q.strip() else None,
    )
