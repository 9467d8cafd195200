"""Rejected events, counted per route and reason so a tenant can see why a shipper's data did not land.

Shippers that speak Elasticsearch's `_bulk` get per-item 400s inside an HTTP 200 and most of them
only log a line nobody reads; this is the trace the platform keeps of those refusals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from src.domain.errors import DomainError

SAMPLE_CHARS = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectionCount:
    """What one request adds: how many of its items were refused for one reason, and one example."""

    route: str
    reason: str
    count: int
    sample: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectionSummary:
    route: str
    reason: str
    count: int
    sample: str
    first_seen: datetime
    last_seen: datetime


def count_rejections(route: str, errors: Iterable[DomainError]) -> list[RejectionCount]:
    """One count per reason (the error's stable code), with the first message as its sample."""
    counts: dict[str, int] = {}
    samples: dict[str, str] = {}
    for error in errors:
        counts[error.code] = counts.get(error.code, 0) + 1
        samples.setdefault(error.code, error.message[:SAMPLE_CHARS])
    return [RejectionCount(route=route, reason=code, count=n, sample=samples[code]) for code, n in counts.items()]
