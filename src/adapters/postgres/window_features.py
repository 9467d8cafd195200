"""Window features from `logs`, one GROUP BY per feature family, merged per (service, window).

Families: event volume and errors (from `logs`), and new patterns (from `patterns`: templates first
seen, in event time, in the window — a new kind of line is often the first sign of an incident).
To add another family, add a query returning `service, window_start` and its values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.domain.anomalies.features import ERROR_SEVERITY, NEW_PATTERNS, WindowFeatures, severity_features
from src.domain.ports.window_feature_source import WindowFeatureSource

# Windows aligned on the epoch: floor(epoch / width) * width.
_WINDOW_START = (
    'to_timestamp(floor(extract(epoch FROM "timestamp") / CAST(:width AS integer)) * CAST(:width AS integer))'
)

_SEVERITY_COUNTS = text(
    f"""
    SELECT coalesce(service, '') AS service, {_WINDOW_START} AS window_start,
           count(*) AS volume, count(*) FILTER (WHERE severity >= CAST(:error AS smallint)) AS errors
    FROM logs
    WHERE tenant_id = :tenant_id AND "timestamp" >= :start AND "timestamp" < :end
    GROUP BY 1, 2
    """
)


_NEW_PATTERNS = text(
    f"""
    SELECT service, {_WINDOW_START.replace('"timestamp"', "first_seen")} AS window_start, count(*) AS new_patterns
    FROM patterns
    WHERE tenant_id = :tenant_id AND first_seen >= :start AND first_seen < :end AND merged_into IS NULL
    GROUP BY 1, 2
    """
)


def _severity_family(row: Any) -> dict[str, float]:
    return severity_features(int(row.volume), int(row.errors))


def _new_pattern_family(row: Any) -> dict[str, float]:
    return {NEW_PATTERNS: float(row.new_patterns)}


_FAMILIES: tuple[tuple[TextClause, Callable[[Any], dict[str, float]]], ...] = (
    (_SEVERITY_COUNTS, _severity_family),
    (_NEW_PATTERNS, _new_pattern_family),
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
        }
        merged: dict[tuple[str, datetime], dict[str, float]] = {}
        for query, to_features in _FAMILIES:
            for row in await self._conn.execute(query, params):
                merged.setdefault((row.service, row.window_start), {}).update(to_features(row))
        return [
            WindowFeatures(service=service, start=start_, values=values)
            for (service, start_), values in sorted(merged.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ]
