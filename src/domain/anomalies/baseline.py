"""Robust baselines: what a feature usually is at this moment, as median and MAD.

Seasonal first: the same minute of the week on earlier weeks, else the same minute of the day on
earlier days (each ± a few minutes, so a handful of days already gives enough samples); when
history is too short for either, the windows just before. Median and MAD ignore the outliers
(earlier incidents) that a mean and standard deviation would absorb.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MAD_TO_SIGMA = 1.4826  # MAD times this estimates sigma for normal data


class Basis(StrEnum):
    MINUTE_OF_WEEK = "minute-of-week"
    MINUTE_OF_DAY = "minute-of-day"
    RECENT = "recent"


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineConfig:
    window: timedelta = timedelta(minutes=1)
    # Seasonal neighbours: the same minute ± this many windows on each earlier day/week.
    seasonal_spread: int = 2
    min_seasonal_days: int = 3  # distinct earlier days (weeks) needed before a seasonal baseline
    min_seasonal_weeks: int = 3
    recent_windows: int = 60
    min_recent_windows: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    median: float
    mad: float
    samples: int
    basis: Basis

    @property
    def sigma(self) -> float:
        return MAD_TO_SIGMA * self.mad


def _seasonal(
    series: Mapping[datetime, Mapping[str, float]],
    at: datetime,
    period: timedelta,
    cfg: BaselineConfig,
    oldest: datetime,
) -> tuple[dict[str, list[float]], int]:
    """Samples of each feature at the same phase of `period` on earlier periods; and how many
    earlier periods had any. Every key looked up is before `at` (spread < period)."""
    samples: dict[str, list[float]] = {}
    periods = 0
    k = 1
    while at - k * period >= oldest - cfg.seasonal_spread * cfg.window:
        centre = at - k * period
        found = False
        for offset in range(-cfg.seasonal_spread, cfg.seasonal_spread + 1):
            values = series.get(centre + offset * cfg.window)
            if values is None:
                continue
            found = True
            for name, value in values.items():
                samples.setdefault(name, []).append(value)
        periods += found
        k += 1
    return samples, periods


def _recent(
    series: Mapping[datetime, Mapping[str, float]], at: datetime, cfg: BaselineConfig
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for i in range(1, cfg.recent_windows + 1):
        values = series.get(at - i * cfg.window)
        if values is None:
            continue
        for name, value in values.items():
            samples.setdefault(name, []).append(value)
    return samples


def _summarise(samples: Sequence[float], basis: Basis) -> Baseline:
    median = statistics.median(samples)
    mad = statistics.median(abs(v - median) for v in samples)
    return Baseline(median=median, mad=mad, samples=len(samples), basis=basis)


def baselines_at(
    series: Mapping[datetime, Mapping[str, float]], at: datetime, cfg: BaselineConfig, *, oldest: datetime
) -> dict[str, Baseline]:
    """One baseline per feature for the window starting at `at`, from windows strictly before it
    (`series` is one service's windows by start, `oldest` its first; a missing window is unknown)."""
    for period, basis, needed in (
        (WEEK, Basis.MINUTE_OF_WEEK, cfg.min_seasonal_weeks),
        (DAY, Basis.MINUTE_OF_DAY, cfg.min_seasonal_days),
    ):
        samples, periods = _seasonal(series, at, period, cfg, oldest)
        if periods >= needed:
            return {name: _summarise(values, basis) for name, values in samples.items()}
    recent = _recent(series, at, cfg)
    return {
        name: _summarise(values, Basis.RECENT)
        for name, values in recent.items()
        if len(values) >= cfg.min_recent_windows
    }


def history_ranges(
    start: datetime, end: datetime, cfg: BaselineConfig, *, history: timedelta
) -> list[tuple[datetime, datetime]]:
    """The stored windows that baselines for windows in `[start, end)` can look at, as merged
    `[from, to)` ranges before `start`: the recent windows, and the same minutes (± the spread) on
    each earlier day within `history` (weeks are among the days). A run of a few minutes thus reads
    a few hundred windows per service, not the whole history."""
    spread = cfg.seasonal_spread * cfg.window
    ranges = [(start - cfg.recent_windows * cfg.window, start)]
    k = 1
    while k * DAY <= history:
        ranges.append((start - k * DAY - spread, min(end - k * DAY + spread + cfg.window, start)))
        k += 1
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(r for r in ranges if r[0] < r[1]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
