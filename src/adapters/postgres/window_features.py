"""Window features from `logs`, one GROUP BY per feature family, merged per (service, window).

Families: event volume and errors (from `logs`), new patterns (from `patterns`: templates first
seen, in event time, in the window — a new kind of line is often the first sign of an incident),
and per-pattern counts (from `pattern_counts`, merged patterns counted under the pattern they were
merged into; only a window's most frequent patterns, so that a window's features stay bounded).
To add another family, add a query returning `service, window_start` and its values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.domain.anomalies.features import (
    ERROR_SEVERITY,
    NEW_PATTERNS,
    TOP_PATTERNS_PER_WINDOW,
    WindowFeatures,
    pattern_feature,
    severity_features,
)
from src.domain.ports.window_feature_source import WindowFeatureSource


def _window_start(column: str) -> str:
    """The start of the window holding `column`: windows are aligned on the epoch."""
    return f"to_timestamp(floor(extract(epoch FROM {column}) / CAST(:width AS integer)) * CAST(:width AS integer))"


_SEVERITY_COUNTS = text(
    f"""
    SELECT coalesce(service, '') AS service, {_window_start('"timestamp"')} AS window_start,
           count(*) AS volume, count(*) FILTER (WHERE severity >= CAST(:error AS smallint)) AS errors
    FROM logs
    WHERE tenant_id = :tenant_id AND "timestamp" >= :start AND "timestamp" < :end
    GROUP BY 1, 2
    """
)


_NEW_PATTERNS = text(
    f"""
    SELECT service, {_window_start("first_seen")} AS window_start, count(*) AS new_patterns
    FROM patterns
    WHERE tenant_id = :tenant_id AND first_seen >= :start AND first_seen < :end AND merged_into IS NULL
    GROUP BY 1, 2
    """
)


# Per-pattern counts are per minute: a window of W minutes sums W of them. Counted per window first,
# then ranked within it; only the most frequent are kept.
_PATTERN_COUNTS = text(
    f"""
    SELECT service, window_start, pattern_id, total FROM (
        SELECT counted.*,
               row_number() OVER (PARTITION BY service, window_start ORDER BY total DESC, pattern_id) AS rank
        FROM (
            SELECT c.service, {_window_start("c.minute")} AS window_start,
                   coalesce(p.merged_into, c.pattern_id) AS pattern_id, sum(c.total) AS total
            FROM pattern_counts c
            LEFT JOIN patterns p ON p.tenant_id = c.tenant_id AND p.id = c.pattern_id
            WHERE c.tenant_id = :tenant_id AND c.minute >= :start AND c.minute < :end
            GROUP BY 1, 2, 3
        ) counted
    ) ranked
    WHERE rank <= :top_patterns
    """
)


def _severity_family(row: Any) -> dict[str, float]:
    return severity_features(int(row.volume), int(row.errors))


def _new_pattern_family(row: Any) -> dict[str, float]:
    return {NEW_PATTERNS: float(row.new_patterns)}


def _pattern_count_family(row: Any) -> dict[str, float]:
    return {pattern_feature(row.pattern_id): float(row.total)}


_FAMILIES: tuple[tuple[TextClause, Callable[[Any], dict[str, float]]], ...] = (
    (_SEVERITY_COUNTS, _severity_family),
    (_NEW_PATTERNS, _new_pattern_family),
    (_PATTERN_COUNTS, _pattern_count_family),
)


class PostgresWindowFeatures(WindowFeatureSource):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def extract(
        self, *, tenant_id: UUID, start: datetime, end: datetime, window: timedelta
    ) -> list[WindowFeatures]:
        params = {
            "tenant_id": tenant_id,
            "start": start,
            "end": end,
            "width": int(window.total_seconds()),
            "error": int(ERROR_SEVERITY),
            "top_patterns": TOP_PATTERNS_PER_WINDOW,
        }
        merged: dict[tuple[str, datetime], dict[str, float]] = {}
        for query, to_features in _FAMILIES:
            for row in await self._conn.execute(query, params):
                merged.setdefault((row.service, row.window_start), {}).update(to_features(row))
        return [
            WindowFeatures(service=service, start=start_, values=values)
            for (service, start_), values in sorted(merged.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ]
