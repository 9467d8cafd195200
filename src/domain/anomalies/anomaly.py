"""A stored anomaly: one service's window whose score passed the threshold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.anomalies.scoring import ScoredWindow


@dataclass(frozen=True, slots=True, kw_only=True)
class Anomaly:
    tenant_id: UUID
    service: str  # "" for events without a service
    window_start: datetime
    window_end: datetime
    score: float
    baseline_score: float
    model_score: float
    features: dict[str, float]
    drivers: list[dict[str, Any]]
    sentence: str
    run_id: UUID | None = None
    detected_at: datetime | None = None


def anomaly_from(tenant_id: UUID, scored: ScoredWindow, *, run_id: UUID) -> Anomaly:
    return Anomaly(
        tenant_id=tenant_id,
        service=scored.window.service,
        window_start=scored.window.start,
        window_end=scored.end,
        score=scored.score,
        baseline_score=scored.baseline_score,
        model_score=scored.model_score,
        features=dict(scored.window.values),
        drivers=[
            {
                "feature": d.feature,
                "value": d.value,
                "usual": d.usual,
                "z": d.z,
                "score": d.score,
                "basis": d.basis.value,
                "samples": d.samples,
            }
            for d in scored.drivers
        ],
        sentence=scored.sentence,
        run_id=run_id,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AnomalyFilter:
    start: datetime | None = None
    end: datetime | None = None
    service: str | None = None
    min_score: float = 0.0
    limit: int = 100
