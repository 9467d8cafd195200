#!/usr/bin/env python
"""Anomaly detection benchmark: window-level precision and recall on BGL and on a generated workload.

    python bench/anomalies.py [--datasets DIR] [--seeds 5] [--days 5] [--bgl-window 3600]

Both parts run the platform's scorer (`WindowScorer` with scikit-learn's IsolationForest, the
defaults `logplane worker anomalies` uses, threshold 0.5) on per-window features; nothing is tuned
to either data set. A window is "detected" when its score reaches the threshold.

(a) BGL (`loghub-2k/BGL`): 2,000 lines sampled from 214 days of a supercomputer's RAS log; the first
    column marks alert lines. A window is anomalous when it holds an alert line. The sample has
    ~1.4 lines per non-empty minute and long empty gaps that are sampling, not outages, so:
    windows of `--bgl-window` seconds (default 1 hour), only non-empty ones, laid end to end (the
    k-th non-empty window is scored after the k-1 before it; no seasonality). Severity: the `Level`
    column normalised as ingest does (FATAL/SEVERE/ERROR count as errors). One service.
    Reference: "any ERROR/FATAL line in the window", the rule an alert on error count would be.
(b) Generated (`bench/anomalies_data.py`): three services, `--days` days of 1-minute windows with
    daily seasonality; incidents injected on the last day, which is scored against the days before.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.anomalies_data import NEW_PATTERN_READY, generate
from bench.patterns import DATASETS  # the checkout's ../shared, found as the other scripts find it
from src.adapters.sklearn.isolation_forest import SklearnIsolationForest
from src.domain.anomalies.baseline import BaselineConfig
from src.domain.anomalies.features import (
    ERROR_SEVERITY,
    NEW_PATTERNS,
    TOP_PATTERNS_PER_WINDOW,
    WindowFeatures,
    pattern_feature,
    severity_features,
)
from src.domain.anomalies.scoring import ScoredWindow, ScoringConfig, WindowScorer
from src.domain.patterns.miner import TemplateMiner
from src.domain.patterns.records import mining_text
from src.domain.severity import normalise_severity

THRESHOLD = 0.5  # the production default (LOGPLANE_ANOMALY_THRESHOLD)
# The platform's score, and its two parts alone (ablation), each against the same threshold.
DETECTORS: dict[str, Callable[[ScoredWindow], bool]] = {
    "combined score (platform)": lambda s: s.score >= THRESHOLD,
    "baseline part only": lambda s: s.baseline_score >= THRESHOLD,
    "IsolationForest part only": lambda s: s.model_score >= THRESHOLD,
}


def prf(detected: set[object], truth: set[object]) -> tuple[float, float, float]:
    tp = len(detected & truth)
    precision = tp / len(detected) if detected else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bgl(datasets: Path, window_seconds: int, *, patterns: bool) -> dict[str, object]:
    path = datasets / "BGL" / "BGL_2k.log_structured.csv"
    windows: dict[int, list[int]] = {}  # window index -> [volume, errors, alerts, new patterns]
    mined: dict[int, list[str]] = {}  # window index -> pattern id of each line, as first mined
    miner = TemplateMiner("bench", "bgl")
    for row in csv.DictReader(path.open(encoding="utf-8")):
        key = int(row["Timestamp"]) // window_seconds
        counts = windows.setdefault(key, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += normalise_severity(row["Level"]) >= ERROR_SEVERITY  # INFO … FATAL, SEVERE: all known
        counts[2] += row["Label"] != "-"
        match = miner.add(mining_text(row["Content"]))  # the platform's miner, as the index worker runs it
        counts[3] += match.created
        mined.setdefault(key, []).append(match.pattern_id)
    width = timedelta(seconds=window_seconds)
    origin = datetime(2005, 6, 3, tzinfo=UTC)
    laid: list[WindowFeatures] = []
    truth: set[object] = set()
    naive: set[object] = set()
    for k, key in enumerate(sorted(windows)):
        volume, errors, alerts, new = windows[key]
        at = origin + k * width
        values = severity_features(volume, errors)
        if patterns:  # as src/adapters/postgres/window_features.py computes them
            values[NEW_PATTERNS] = float(new)
            top = Counter(miner.resolve(pid) for pid in mined[key]).most_common(TOP_PATTERNS_PER_WINDOW)
            values.update((pattern_feature(pid), float(n)) for pid, n in top)
        laid.append(WindowFeatures(service="bgl", start=at, values=values))
        if alerts:
            truth.add(at)
        if errors:
            naive.add(at)
    scorer = WindowScorer(SklearnIsolationForest(), ScoringConfig(baseline=BaselineConfig(window=width)))
    scored = scorer.score(history=[], windows=laid)
    rows: dict[str, set[object]] = {
        name: {s.window.start for s in scored if pick(s)} for name, pick in DETECTORS.items()
    }
    rows["reference: any error line"] = naive
    return {"windows": len(laid), "truth": truth, "rows": rows}


def generated(seeds: Iterable[int], days: int) -> dict[str, object]:
    truth: set[object] = set()
    rows: dict[str, set[object]] = {name: set() for name in DETECTORS}
    per_kind = Counter[str]()
    per_kind_found = Counter[str]()
    seconds = 0.0
    scored_windows = 0
    for seed in seeds:
        history, target, labels = generate(days=days, seed=seed)
        began = time.process_time()
        scored = WindowScorer(SklearnIsolationForest()).score(history=history, windows=target)
        seconds += time.process_time() - began
        scored_windows += len(scored)
        truth |= {(seed, *k) for k in labels}
        for name, pick in DETECTORS.items():
            rows[name] |= {(seed, s.window.service, s.window.start) for s in scored if pick(s)}
        detected = {(s.window.service, s.window.start) for s in scored if s.score >= THRESHOLD}
        for key, kind in _kinds(seed, days).items():
            per_kind[kind] += 1
            per_kind_found[kind] += key in detected
        if seed == 0:
            _show_examples(scored, labels)
    return {
        "windows": scored_windows,
        "truth": truth,
        "rows": rows,
        "per_kind": {k: (per_kind_found[k], per_kind[k]) for k in sorted(per_kind)},
        "windows_per_cpu_second": scored_windows / seconds if seconds else 0.0,
    }


def _kinds(seed: int, days: int) -> dict[tuple[str, datetime], str]:
    import numpy as np

    from bench.anomalies_data import MIN, T0, incidents

    rng = np.random.default_rng(seed)
    planned = incidents(rng, T0 + (days - 1) * timedelta(days=1), 16)
    out: dict[tuple[str, datetime], str] = {}
    for inc in planned:
        if inc.kind == "new_pattern" and not NEW_PATTERN_READY:
            continue
        for m in range(inc.minutes):
            out[(inc.service, inc.start + m * MIN)] = _bucket(inc.kind, inc.size)
    return out


def _bucket(kind: str, size: float) -> str:
    """Incident kinds split by size, so that recall shows what is findable at 1-minute noise."""
    if kind == "error_burst":
        return f"{kind} {'>=' if size >= 0.05 else '<'}5% errors"
    if kind == "volume_drop":
        return f"{kind} to {'<=' if size <= 0.3 else '>'}30% of usual"
    return kind


def _show_examples(scored: list[ScoredWindow], labels: set[tuple[str, datetime]]) -> None:
    hits = [s for s in scored if s.score >= THRESHOLD]
    print("  examples (seed 0):", file=sys.stderr)
    for s in hits[:6]:
        mark = "TP" if (s.window.service, s.window.start) in labels else "FP"
        print(f"    {mark} {s.window.service:9} {s.window.start:%H:%M} {s.score:.2f}  {s.sentence}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--bgl-window", type=int, default=3600)
    args = parser.parse_args()

    print(f"threshold {THRESHOLD} (default; nothing tuned per data set)\n")
    print("| data | detector | windows | anomalous | flagged | precision | recall | F1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    results = [
        (
            f"BGL, {w // 60}-min windows (non-empty, end to end), {'with' if p else 'without'} pattern features",
            bgl(args.datasets, w, patterns=p),
        )
        for w in sorted({args.bgl_window, 60}, reverse=True)
        for p in (True, False)
    ]
    g = generated(range(args.seeds), args.days)
    results.append((f"generated, {args.seeds} seeds x 3 services x 1 day ({args.days - 1} days history)", g))
    for label, result in results:
        truth: set[object] = result["truth"]  # type: ignore[assignment]
        for name, flagged in result["rows"].items():  # type: ignore[attr-defined]
            p, r, f = prf(flagged, truth)
            print(f"| {label} | {name} | {result['windows']} | {len(truth)} | {len(flagged)} "
                  f"| {p:.2f} | {r:.2f} | {f:.2f} |")  # fmt: skip
    print("\nrecall by incident kind (generated, platform score): " + ", ".join(
        f"{k} {found}/{n}" for k, (found, n) in g["per_kind"].items()  # type: ignore[attr-defined]
    ))  # fmt: skip
    print(f"scoring speed (generated): {g['windows_per_cpu_second']:,.0f} windows per CPU second")


if __name__ == "__main__":
    main()
