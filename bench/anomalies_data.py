"""Generated workload for the anomaly benchmark: days of per-minute traffic with daily seasonality
and injected incidents of known windows.

Each service's volume follows the time of day (quiet night, busy afternoon) with Poisson noise and
a per-day level that drifts a few percent; errors are a small base share. Incidents on the last day:

- `error_burst`: for 2-8 minutes the error share jumps to 2-30 %;
- `volume_drop`: for 3-10 minutes volume falls to 5-60 % of usual (a partial outage);
- `volume_spike`: for 2-6 minutes volume rises 2.5-6x (a retry storm);
- `new_pattern`: the seam for when pattern features exist (see `NEW_PATTERN_READY`): a template
  never seen before logs 5-50 lines a minute. Until then it is generated but not counted, because
  volume and error features cannot be expected to see it.

Sizes are drawn from ranges written before any scoring was run, and were not changed after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from src.domain.anomalies.features import WindowFeatures, severity_features

MIN = timedelta(minutes=1)
T0 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
KINDS = ("error_burst", "volume_drop", "volume_spike", "new_pattern")
NEW_PATTERN_READY = False  # flip when the feature source carries pattern counts / new patterns


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    peak: float  # events/min at the busiest time of day
    night: float  # share of peak at the quietest
    error_share: float


SERVICES = (
    Service("checkout", peak=340.0, night=0.08, error_share=0.004),
    Service("search", peak=900.0, night=0.15, error_share=0.001),
    Service("batch", peak=60.0, night=0.5, error_share=0.02),
)


@dataclass(frozen=True, slots=True)
class Incident:
    service: str
    kind: str
    start: datetime
    minutes: int
    size: float


def usual_rate(service: Service, at: datetime, day_level: float) -> float:
    minute = at.hour * 60 + at.minute
    # Lowest at 03:00, highest at 15:00.
    shape = 0.5 - 0.5 * math.cos(2 * math.pi * (minute - 180) / 1440)
    return service.peak * day_level * (service.night + (1 - service.night) * shape)


def incidents(rng: np.random.Generator, day_start: datetime, count: int) -> list[Incident]:
    out: list[Incident] = []
    slots = sorted(rng.choice(np.arange(30, 1440 - 30, 15), size=count, replace=False))
    for slot in slots:
        kind = KINDS[int(rng.integers(0, len(KINDS)))]
        service = SERVICES[int(rng.integers(0, len(SERVICES)))].name
        if kind == "error_burst":
            minutes, size = int(rng.integers(2, 9)), float(rng.uniform(0.02, 0.30))
        elif kind == "volume_drop":
            minutes, size = int(rng.integers(3, 11)), float(rng.uniform(0.05, 0.60))
        elif kind == "volume_spike":
            minutes, size = int(rng.integers(2, 7)), float(rng.uniform(2.5, 6.0))
        else:
            minutes, size = int(rng.integers(2, 9)), float(rng.uniform(5, 50))
        out.append(Incident(service, kind, day_start + int(slot) * MIN, minutes, size))
    return out


def generate(
    *, days: int, seed: int, incidents_per_day: int = 16
) -> tuple[list[WindowFeatures], list[WindowFeatures], set[tuple[str, datetime]]]:
    """(history windows, last-day windows, anomalous (service, window) labels)."""
    rng = np.random.default_rng(seed)
    last_day = T0 + (days - 1) * timedelta(days=1)
    planned = incidents(rng, last_day, incidents_per_day)
    active: dict[tuple[str, datetime], Incident] = {}
    for incident in planned:
        for m in range(incident.minutes):
            active[(incident.service, incident.start + m * MIN)] = incident
    history: list[WindowFeatures] = []
    target: list[WindowFeatures] = []
    labels: set[tuple[str, datetime]] = set()
    for service in SERVICES:
        for day in range(days):
            level = float(rng.normal(1.0, 0.04))
            for m in range(1440):
                at = T0 + timedelta(days=day) + m * MIN
                rate = usual_rate(service, at, level)
                share = service.error_share
                inc = active.get((service.name, at))
                if inc is not None and inc.kind in ("volume_drop", "volume_spike"):
                    rate *= inc.size
                elif inc is not None and inc.kind == "error_burst":
                    share = inc.size
                volume = int(rng.poisson(rate))
                errors = int(rng.binomial(volume, share)) if volume else 0
                values = severity_features(volume, errors)
                if NEW_PATTERN_READY:
                    values["new_patterns"] = 1.0 if inc is not None and inc.kind == "new_pattern" else 0.0
                window = WindowFeatures(service=service.name, start=at, values=values)
                if at >= last_day:
                    target.append(window)
                    if inc is not None and (inc.kind != "new_pattern" or NEW_PATTERN_READY):
                        labels.add((service.name, at))
                else:
                    history.append(window)
    return history, target, labels
