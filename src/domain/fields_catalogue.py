"""What field discovery answers: the fields seen in a window, with their types and counts."""

from __future__ import annotations

from dataclasses import dataclass, field

TOP_LEVEL_TYPES = {
    "timestamp": "timestamp",
    "severity": "severity",
    "message": "text",
    "service": "keyword",
    "host": "keyword",
    "user_id": "keyword",
    "action": "keyword",
    "trace_id": "keyword",
    "span_id": "keyword",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldCount:
    name: str
    type: str  # the most frequent type; `types` has them all for attributes
    count: int
    types: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldCatalogue:
    fields: list[FieldCount]
    events: int  # events examined
    sampled: bool  # True when the window held more than the sample: counts are of the newest events
