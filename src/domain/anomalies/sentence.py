"""The human sentence of an anomaly: "error ratio 18% vs 0.4% usual; volume 12/min vs 340/min usual"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from src.domain.anomalies.features import Kind, spec_for

if TYPE_CHECKING:
    from src.domain.anomalies.scoring import Driver

# A feature is named in the sentence when its own score reaches this; at most this many.
MENTION_SCORE = 0.2
MENTION_MAX = 3


def per_window(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return {60: "/min", 3600: "/h", 86400: "/day"}.get(seconds, f"/{seconds}s")


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _percent(value: float) -> str:
    pct = value * 100
    return f"{pct:.0f}%" if pct >= 10 or pct == int(pct) else f"{pct:.1f}%"


def phrase(driver: Driver, window: timedelta) -> str:
    spec = spec_for(driver.feature)
    if spec.kind is Kind.RATIO:
        return f"{spec.label} {_percent(driver.value)} vs {_percent(driver.usual)} usual"
    unit = per_window(window)
    return f"{spec.label} {_count(driver.value)}{unit} vs {_count(driver.usual)}{unit} usual"


def describe(drivers: Sequence[Driver], *, window: timedelta, model_score: float | None) -> str:
    mentioned = [d for d in drivers if d.score >= MENTION_SCORE][:MENTION_MAX]
    if mentioned:
        return "; ".join(phrase(d, window) for d in mentioned)
    if drivers:
        return phrase(drivers[0], window) + " (slightly unusual)"
    if model_score:
        return f"no single feature stands out; the window is unusual as a whole (model score {model_score:.2f})"
    return "nothing unusual"
