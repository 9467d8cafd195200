"""The window scorer: baselines, deviations, the model's share, sentences (fake outlier model)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from src.domain.anomalies.baseline import Basis
from src.domain.anomalies.features import WindowFeatures, fill_silent_windows, severity_features
from src.domain.anomalies.scoring import WindowScorer
from src.domain.ports.outlier_model import OutlierModel

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


class FixedModel(OutlierModel):
    """Says the same about every window; records what it was asked."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value
        self.calls: list[tuple[int, int]] = []

    def score(self, *, train: Sequence[Sequence[float]], test: Sequence[Sequence[float]]) -> list[float]:
        self.calls.append((len(train), len(test)))
        return [self.value] * len(test)


def w(at: datetime, volume: int, errors: int = 0, service: str = "api") -> WindowFeatures:
    return WindowFeatures(service=service, start=at, values=severity_features(volume, errors))


def steady(n: int, volume: int = 300, errors: int = 1, start: datetime = T0) -> list[WindowFeatures]:
    # A little natural variation, so MAD is not zero.
    return [w(start + i * MIN, volume + (i % 7) - 3, errors + (i % 3 == 0)) for i in range(n)]


def test_an_error_burst_against_recent_windows_is_an_anomaly_with_its_sentence() -> None:
    history = steady(60)
    burst = w(T0 + 60 * MIN, 300, 54)
    [scored] = WindowScorer(FixedModel(0.8)).score(history=history, windows=[burst])
    assert scored.score >= 0.5
    top = scored.drivers[0]
    assert top.feature in ("errors", "error_ratio") and top.basis is Basis.RECENT
    assert "error ratio 18% vs 0.3% usual" in scored.sentence or "error ratio 18% vs 0.7% usual" in scored.sentence
    assert "errors 54/min vs" in scored.sentence


def test_an_ordinary_window_scores_low() -> None:
    history = steady(60)
    [scored] = WindowScorer(FixedModel(0.1)).score(history=history, windows=[w(T0 + 60 * MIN, 301, 2)])
    assert scored.score < 0.2 and scored.baseline_score == 0.0
    assert scored.sentence == "no single feature stands out; the window is unusual as a whole (model score 0.10)"


def daily(days: int, *, drop_at: datetime | None = None) -> list[WindowFeatures]:
    """Volume follows the time of day: ~40/min at night, ~340/min around noon."""
    out = []
    for i in range(days * 24 * 60):
        at = T0 + i * MIN
        minute = at.hour * 60 + at.minute
        volume = int(190 - 150 * math.cos(2 * math.pi * minute / 1440)) + (i % 5)
        out.append(w(at, 12 if at == drop_at else volume, 0))
    return out


def test_a_volume_drop_is_judged_against_the_same_minute_on_earlier_days() -> None:
    noon = T0 + timedelta(days=4, hours=12)
    series = daily(5, drop_at=noon)
    history = [x for x in series if x.start < noon]
    [scored] = WindowScorer(FixedModel(0.0)).score(history=history, windows=[x for x in series if x.start == noon])
    assert scored.baseline_score > 0.9
    assert scored.drivers[0].basis is Basis.MINUTE_OF_DAY
    assert scored.sentence.startswith("volume 12/min vs 34")


def test_a_daily_batch_spike_is_usual_at_its_time_of_day_only() -> None:
    """Every night at 02:00-02:04 a batch job logs 3,000/min; the seasonal baseline knows it."""

    def with_batch(days: int) -> list[WindowFeatures]:
        return [w(x.start, 3000 if x.start.hour == 2 and x.start.minute < 5 else int(x.volume)) for x in daily(days)]

    batch = T0 + timedelta(days=4, hours=2, minutes=2)
    series = with_batch(5)
    history = [x for x in series if x.start < batch]
    target = [x for x in series if x.start == batch]
    [seasonal] = WindowScorer(FixedModel(0.0)).score(history=history, windows=target)
    assert seasonal.score == 0.0
    # Judged against the windows just before it only, the same spike is news.
    recent_only = [x for x in history if x.start >= batch - timedelta(hours=1)]
    [recent] = WindowScorer(FixedModel(0.0)).score(history=recent_only, windows=target)
    assert recent.drivers[0].basis is Basis.RECENT and recent.score >= 0.5


def test_without_history_the_model_alone_cannot_pass_the_threshold() -> None:
    windows = steady(40)
    scored = WindowScorer(FixedModel(1.0)).score(history=[], windows=windows)
    assert scored[0].baseline_score == 0.0 and scored[0].drivers == ()
    assert max(s.score for s in scored) <= 0.3 + 1e-9


def test_the_model_is_skipped_with_too_few_windows() -> None:
    model = FixedModel(1.0)
    scored = WindowScorer(model).score(history=steady(5), windows=[w(T0 + 5 * MIN, 300, 1)])
    assert model.calls == [] and scored[0].model_score == 0.0


def test_a_ratio_over_a_handful_of_events_is_not_judged() -> None:
    history = [w(T0 + i * MIN, 4, 0) for i in range(60)]
    [scored] = WindowScorer(FixedModel(0.0)).score(history=history, windows=[w(T0 + 60 * MIN, 3, 1)])
    assert all(d.feature != "error_ratio" for d in scored.drivers)
    assert scored.score < 0.5


def test_services_are_judged_separately() -> None:
    history = steady(60) + [w(T0 + i * MIN, 5, 0, service="batch") for i in range(60)]
    windows = [w(T0 + 60 * MIN, 300, 1), w(T0 + 60 * MIN, 300, 0, service="batch")]
    scored = {s.window.service: s for s in WindowScorer(FixedModel(0.0)).score(history=history, windows=windows)}
    assert scored["api"].score == 0.0
    assert scored["batch"].score >= 0.5 and scored["batch"].sentence.startswith("volume 300/min vs 5/min usual")


def test_extra_features_from_a_source_are_judged_as_upward_counts() -> None:
    history = [
        WindowFeatures(service="api", start=T0 + i * MIN, values={**severity_features(300, 1), "pattern:7": 2.0})
        for i in range(60)
    ]
    target = WindowFeatures(service="api", start=T0 + 60 * MIN, values={**severity_features(300, 1), "pattern:7": 90.0})
    [scored] = WindowScorer(FixedModel(0.0)).score(history=history, windows=[target])
    assert scored.drivers[0].feature == "pattern:7" and scored.score >= 0.5
    assert scored.sentence.startswith("pattern 7 90/min vs 2/min usual")


def test_silence_of_a_known_service_becomes_zero_windows() -> None:
    known = [w(T0 + i * MIN, 100) for i in range(10)]
    start = T0 + 10 * MIN
    filled = fill_silent_windows([w(start + MIN, 100)], known=known, start=start, end=start + 3 * MIN)
    assert [(x.start - start, x.volume) for x in filled] == [(0 * MIN, 0.0), (MIN, 100.0), (2 * MIN, 0.0)]
    # A service whose known windows are all silent is forgotten.
    gone = [w(T0 + i * MIN, 0) for i in range(10)]
    assert fill_silent_windows([], known=gone, start=start, end=start + 3 * MIN) == []


def test_a_short_run_reads_only_recent_and_same_minute_windows() -> None:
    from src.domain.anomalies.baseline import BaselineConfig, history_ranges

    start = T0 + timedelta(days=20, hours=12)
    ranges = history_ranges(start, start + 2 * MIN, BaselineConfig(), history=timedelta(days=3))
    assert ranges == [
        (start - timedelta(days=3) - 2 * MIN, start - timedelta(days=3) + 5 * MIN),
        (start - timedelta(days=2) - 2 * MIN, start - timedelta(days=2) + 5 * MIN),
        (start - timedelta(days=1) - 2 * MIN, start - timedelta(days=1) + 5 * MIN),
        (start - 60 * MIN, start),
    ]
    # A long range (a first run, or catching up) merges into one.
    long = history_ranges(start, start + timedelta(days=2), BaselineConfig(), history=timedelta(days=3))
    assert long == [(start - timedelta(days=3) - 2 * MIN, start)]


def test_sentences_read_as_a_person_would_say_them() -> None:
    from src.domain.anomalies.scoring import Driver
    from src.domain.anomalies.sentence import describe, phrase

    def d(feature: str, value: float, usual: float, score: float = 0.9) -> Driver:
        return Driver(feature=feature, value=value, usual=usual, z=9.0, score=score, basis=Basis.RECENT, samples=60)

    assert phrase(d("error_ratio", 0.18, 0.004), MIN) == "error ratio 18% vs 0.4% usual"
    assert phrase(d("volume", 12, 340), MIN) == "volume 12/min vs 340/min usual"
    assert phrase(d("errors", 2.5, 0.5), timedelta(hours=1)) == "errors 2.5/h vs 0.5/h usual"
    both = describe([d("error_ratio", 0.18, 0.004), d("volume", 12, 340), d("errors", 3, 2, score=0.1)], window=MIN,
                    model_score=0.4)  # fmt: skip
    assert both == "error ratio 18% vs 0.4% usual; volume 12/min vs 340/min usual"
