"""Scoring windows: robust deviation from the baseline, plus an outlier model over feature vectors.

    baseline score b ∈ [0, 1]: for each feature, z = (value - median) / scale (upward only for
        errors; both ways for volume), with a noise floor in the scale (Poisson for counts,
        binomial for ratios) so that 3 errors against a usual 1 is not a 5sigma event;
        b = max over features of 1 - exp(-max(0, z - z_floor) / z_scale).
    model score m ∈ [0, 1]: the outlier model's view of the window's feature vector among the
        service's windows (IsolationForest in production; any `OutlierModel`).
    score = w·b + (1 - w)·m (w = baseline_weight), or b when the model has too few windows.

With the defaults the model alone cannot pass a 0.5 threshold: it sharpens what the baseline sees
(and breaks ties), while the baseline keeps the result explainable as "x vs y usual".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from src.domain.anomalies.baseline import Baseline, BaselineConfig, Basis, baselines_at
from src.domain.anomalies.features import VOLUME, Direction, Kind, WindowFeatures, spec_for
from src.domain.anomalies.sentence import describe
from src.domain.ports.outlier_model import OutlierModel


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoringConfig:
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    z_floor: float = 3.0  # deviations below this many sigma are noise
    z_scale: float = 3.0  # how fast the feature score rises past the floor
    baseline_weight: float = 0.7
    min_model_windows: int = 30
    ratio_floor: float = 0.02  # a ratio's scale is never below 2 points


@dataclass(frozen=True, slots=True, kw_only=True)
class Driver:
    """One feature's deviation in a window."""

    feature: str
    value: float
    usual: float
    z: float
    score: float
    basis: Basis
    samples: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoredWindow:
    window: WindowFeatures
    window_length: timedelta
    score: float
    baseline_score: float
    model_score: float
    drivers: tuple[Driver, ...]  # features that deviate, strongest first
    sentence: str

    @property
    def end(self) -> datetime:
        return self.window.start + self.window_length


class WindowScorer:
    """Rules: each window is judged against windows strictly before it (no look-ahead in the
    baseline); features are judged per service; a window without any baseline yet scores only
    through the model, which cannot pass the threshold alone."""

    def __init__(self, model: OutlierModel, config: ScoringConfig | None = None) -> None:
        self._model = model
        self._cfg = config or ScoringConfig()

    @property
    def config(self) -> ScoringConfig:
        return self._cfg

    def score(self, *, history: Sequence[WindowFeatures], windows: Sequence[WindowFeatures]) -> list[ScoredWindow]:
        by_service: dict[str, list[WindowFeatures]] = defaultdict(list)
        for w in history:
            by_service[w.service].append(w)
        targets: dict[str, list[WindowFeatures]] = defaultdict(list)
        for w in windows:
            targets[w.service].append(w)
        scored: list[ScoredWindow] = []
        for service, new in targets.items():
            scored.extend(self._score_service(by_service.get(service, []), new))
        scored.sort(key=lambda s: (s.window.start, s.window.service))
        return scored

    def _score_service(self, history: list[WindowFeatures], new: list[WindowFeatures]) -> list[ScoredWindow]:
        cfg = self._cfg
        every = {w.start: w for w in history}
        every.update((w.start, w) for w in new)
        series = {start: w.values for start, w in every.items()}
        oldest = min(series)
        model_scores = self._model_scores(list(every.values()), new)
        out: list[ScoredWindow] = []
        for window, m in zip(new, model_scores, strict=True):
            baselines = baselines_at(series, window.start, cfg.baseline, oldest=oldest)
            drivers = sorted(
                (d for d in (self._deviation(window, name, b) for name, b in baselines.items()) if d is not None),
                key=lambda d: -d.score,
            )
            b = drivers[0].score if drivers else 0.0
            score = b if m is None else cfg.baseline_weight * b + (1 - cfg.baseline_weight) * m
            out.append(
                ScoredWindow(
                    window=window,
                    window_length=cfg.baseline.window,
                    score=round(score, 4),
                    baseline_score=round(b, 4),
                    model_score=round(m or 0.0, 4),
                    drivers=tuple(drivers),
                    sentence=describe(drivers, window=cfg.baseline.window, model_score=m),
                )
            )
        return out

    def _deviation(self, window: WindowFeatures, name: str, baseline: Baseline) -> Driver | None:
        spec = spec_for(name)
        if window.volume < spec.min_volume:
            return None
        value = window.values.get(name, 0.0)
        median = baseline.median
        if spec.kind is Kind.RATIO:
            binomial = math.sqrt(max(median, 0.0) * max(1.0 - median, 0.0) / max(window.volume, 1.0))
            scale = max(baseline.sigma, self._cfg.ratio_floor, binomial)
        else:
            scale = max(baseline.sigma, math.sqrt(max(median, 0.0)) + 1.0)
        z = (value - median) / scale
        directed = abs(z) if spec.direction is Direction.BOTH else z
        past = max(0.0, directed - self._cfg.z_floor)
        feature_score = 1.0 - math.exp(-past / self._cfg.z_scale)
        if feature_score <= 0.0:
            return None
        return Driver(
            feature=name,
            value=value,
            usual=median,
            z=round(z, 2),
            score=round(feature_score, 4),
            basis=baseline.basis,
            samples=baseline.samples,
        )

    def _model_scores(self, every: list[WindowFeatures], new: list[WindowFeatures]) -> list[float | None]:
        if len(every) < self._cfg.min_model_windows:
            return [None] * len(new)
        names = sorted({name for w in every for name in w.values} | {VOLUME})
        train = [_vector(w, names) for w in every]
        test = [_vector(w, names) for w in new]
        return [min(1.0, max(0.0, s)) for s in self._model.score(train=train, test=test)]


def _vector(window: WindowFeatures, names: list[str]) -> list[float]:
    # Counts on a log scale: a burst from 10 to 1,000 and from 1,000 to 100,000 look alike.
    return [
        window.values.get(n, 0.0) if spec_for(n).kind is Kind.RATIO else math.log1p(max(window.values.get(n, 0.0), 0.0))
        for n in names
    ]
