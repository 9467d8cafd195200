"""Anomalies, window features and the watermark in PostgreSQL (RLS; the tenant is in every statement)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.anomalies.anomaly import Anomaly, AnomalyFilter
from src.domain.anomalies.features import WindowFeatures
from src.domain.ports.anomaly_repository import AnomalyRepository

_COLUMNS = (
    "tenant_id, service, window_start, window_end, score, baseline_score, model_score, features, drivers, "
    "sentence, run_id, detected_at"
)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _anomaly(row: Any) -> Anomaly:
    return Anomaly(
        tenant_id=as_uuid(row.tenant_id),
        service=row.service,
        window_start=row.window_start,
        window_end=row.window_end,
        score=float(row.score),
        baseline_score=float(row.baseline_score),
        model_score=float(row.model_score),
        features=_json(row.features),
        drivers=_json(row.drivers),
        sentence=row.sentence,
        run_id=as_uuid(row.run_id) if row.run_id else None,
        detected_at=row.detected_at,
    )


class PostgresAnomalyRepository(AnomalyRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_watermark(self, *, tenant_id: UUID) -> datetime | None:
        # Create the row if missing so there is always something to lock; epoch means "never ran".
        await self._conn.execute(
            text(
                "INSERT INTO anomaly_watermarks (tenant_id, processed_until) VALUES (:t, 'epoch') "
                "ON CONFLICT (tenant_id) DO NOTHING"
            ),
            {"t": tenant_id},
        )
        found = (
            await self._conn.execute(
                text(
                    "SELECT processed_until > 'epoch' AS ran, processed_until FROM anomaly_watermarks "
                    "WHERE tenant_id = :t FOR UPDATE"
                ),
                {"t": tenant_id},
            )
        ).one()
        return found.processed_until if found.ran else None

    async def set_watermark(self, *, tenant_id: UUID, processed_until: datetime) -> None:
        await self._conn.execute(
            text("UPDATE anomaly_watermarks SET processed_until = :until, updated_at = now() WHERE tenant_id = :t"),
            {"t": tenant_id, "until": processed_until},
        )

    async def save_windows(self, *, tenant_id: UUID, windows: Sequence[WindowFeatures]) -> None:
        if not windows:
            return
        await self._conn.execute(
            text(
                "INSERT INTO anomaly_windows (tenant_id, service, window_start, features) "
                "VALUES (:t, :service, :start, CAST(:features AS jsonb)) "
                "ON CONFLICT (tenant_id, window_start, service) DO UPDATE SET features = EXCLUDED.features"
            ),
            [
                {
                    "t": tenant_id,
                    "service": w.service,
                    "start": w.start,
                    "features": orjson.dumps(dict(w.values)).decode(),
                }
                for w in windows
            ],
        )

    async def windows(self, *, tenant_id: UUID, ranges: Sequence[tuple[datetime, datetime]]) -> list[WindowFeatures]:
        if not ranges:
            return []
        rows = await self._conn.execute(
            text(
                "SELECT w.service, w.window_start, w.features FROM anomaly_windows w "
                "JOIN unnest(CAST(:lows AS timestamptz[]), CAST(:highs AS timestamptz[])) AS r(lo, hi) "
                "ON w.window_start >= r.lo AND w.window_start < r.hi "
                "WHERE w.tenant_id = :t ORDER BY w.window_start, w.service"
            ),
            {"t": tenant_id, "lows": [lo for lo, _ in ranges], "highs": [hi for _, hi in ranges]},
        )
        return [WindowFeatures(service=r.service, start=r.window_start, values=_json(r.features)) for r in rows]

    async def prune_windows(self, *, tenant_id: UUID, before: datetime) -> int:
        result = await self._conn.execute(
            text("DELETE FROM anomaly_windows WHERE tenant_id = :t AND window_start < :before"),
            {"t": tenant_id, "before": before},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def save_anomalies(
        self, *, tenant_id: UUID, start: datetime, end: datetime, anomalies: Sequence[Anomaly]
    ) -> None:
        await self._conn.execute(
            text("DELETE FROM anomalies WHERE tenant_id = :t AND window_start >= :start AND window_start < :end"),
            {"t": tenant_id, "start": start, "end": end},
        )
        if not anomalies:
            return
        await self._conn.execute(
            text(
                "INSERT INTO anomalies (tenant_id, service, window_start, window_end, score, baseline_score, "
                "model_score, features, drivers, sentence, run_id) VALUES (:t, :service, :start, :end, :score, "
                ":baseline_score, :model_score, CAST(:features AS jsonb), CAST(:drivers AS jsonb), :sentence, :run_id)"
            ),
            [
                {
                    "t": a.tenant_id,
                    "service": a.service,
                    "start": a.window_start,
                    "end": a.window_end,
                    "score": a.score,
                    "baseline_score": a.baseline_score,
                    "model_score": a.model_score,
                    "features": orjson.dumps(a.features).decode(),
                    "drivers": orjson.dumps(a.drivers).decode(),
                    "sentence": a.sentence,
                    "run_id": a.run_id,
                }
                for a in anomalies
            ],
        )

    async def list(self, *, tenant_id: UUID, where: AnomalyFilter) -> list[Anomaly]:
        sql = f"SELECT {_COLUMNS} FROM anomalies WHERE tenant_id = :t AND score >= :min_score"
        params: dict[str, Any] = {"t": tenant_id, "min_score": where.min_score, "limit": where.limit}
        if where.start is not None:
            sql += " AND window_end > :start"
            params["start"] = where.start
        if where.end is not None:
            sql += " AND window_start <= :end"
            params["end"] = where.end
        if where.service is not None:
            sql += " AND service = :service"
            params["service"] = where.service
        rows = await self._conn.execute(text(sql + " ORDER BY window_start DESC, score DESC LIMIT :limit"), params)
        return [_anomaly(r) for r in rows]
