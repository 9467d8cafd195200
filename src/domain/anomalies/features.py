"""What is measured in a window, and how each feature is judged.

A window is one service's events in `[start, start + window)`. Its features are a name → number
mapping so that new ones (per-pattern counts, "new patterns") add entries and a `FeatureSpec`, not
fields: the scorer, the store and the sentences iterate over whatever a window carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from src.domain.severity import Severity

WINDOW = timedelta(minutes=1)

VOLUME = "volume"
ERRORS = "errors"
ERROR_RATIO = "error_ratio"
NEW_PATTERNS = "new_patterns"
# Per-pattern counts are named `pattern:<id>`: one feature per pattern a window saw among its most
# frequent (a burst of one kind of line — retries, timeouts — that volume alone would dilute).
PATTERN_PREFIX = "pattern:"
TOP_PATTERNS_PER_WINDOW = 20

# ERROR and FATAL (CRITICAL, ALERT, EMERG and PANIC normalise to FATAL at ingest).
ERROR_SEVERITY = Severity.ERROR


class Direction(StrEnum):
    UP = "up"  # only a rise is news (errors)
    BOTH = "both"  # a rise or a fall (volume: a drop may be an outage)


class Kind(StrEnum):
    COUNT = "count"  # events per window: Poisson noise floor, shown as "/min"
    RATIO = "ratio"  # a share of the window's events: shown as a percentage


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureSpec:
    name: str
    label: str
    kind: Kind
    direction: Direction
    # A ratio means little over a handful of events: below this volume it is not judged.
    min_volume: float = 0.0


SPECS: dict[str, FeatureSpec] = {
    VOLUME: FeatureSpec(name=VOLUME, label="volume", kind=Kind.COUNT, direction=Direction.BOTH),
    ERRORS: FeatureSpec(name=ERRORS, label="errors", kind=Kind.COUNT, direction=Direction.UP),
    ERROR_RATIO: FeatureSpec(
        name=ERROR_RATIO, label="error ratio", kind=Kind.RATIO, direction=Direction.UP, min_volume=10.0
    ),
    NEW_PATTERNS: FeatureSpec(name=NEW_PATTERNS, label="new patterns", kind=Kind.COUNT, direction=Direction.UP),
}


def pattern_feature(pattern_id: str) -> str:
    return PATTERN_PREFIX + pattern_id


def spec_for(name: str) -> FeatureSpec:
    """The spec of a feature; an unknown name (e.g. `pattern:<id>` counts added by a feature source)
    is judged as an upward count, which is what per-pattern counts are."""
    found = SPECS.get(name)
    if found is not None:
        return found
    label = f"pattern {name.removeprefix(PATTERN_PREFIX)}" if name.startswith(PATTERN_PREFIX) else name
    return FeatureSpec(name=name, label=label, kind=Kind.COUNT, direction=Direction.UP)


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowFeatures:
    service: str  # "" for events without a service
    start: datetime
    values: Mapping[str, float] = field(default_factory=dict)

    @property
    def volume(self) -> float:
        return self.values.get(VOLUME, 0.0)


def severity_features(volume: int, errors: int) -> dict[str, float]:
    """The core features from a window's event and error counts."""
    return {VOLUME: float(volume), ERRORS: float(errors), ERROR_RATIO: errors / volume if volume else 0.0}


def floor_window(moment: datetime, window: timedelta = WINDOW) -> datetime:
    """The start of the window holding `moment` (windows are aligned on the Unix epoch)."""
    seconds = int(window.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=moment.tzinfo)


def fill_silent_windows(
    windows: list[WindowFeatures],
    *,
    known: list[WindowFeatures],
    start: datetime,
    end: datetime,
    window: timedelta = WINDOW,
) -> list[WindowFeatures]:
    """Add a zero window for each minute of `[start, end)` in which a service that had events (in
    `known` or `windows`) logged nothing: silence is what a volume drop looks like. A service is
    filled only from its first window on, and is forgotten once `known` holds no events of it."""
    present = {(w.service, w.start) for w in windows}
    first: dict[str, datetime] = {}
    for w in (*known, *windows):
        if w.volume > 0 and (w.service not in first or w.start < first[w.service]):
            first[w.service] = w.start
    filled = list(windows)
    for service, since in first.items():
        moment = max(start, floor_window(since, window))
        while moment < end:
            if (service, moment) not in present:
                filled.append(WindowFeatures(service=service, start=moment, values=severity_features(0, 0)))
            moment += window
    filled.sort(key=lambda w: (w.start, w.service))
    return filled
