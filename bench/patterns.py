#!/usr/bin/env python
"""Template mining benchmark: grouping and parsing accuracy on Loghub-2k, and lines/s per core.

    python bench/patterns.py [--datasets DIR] [--input content|raw] [--repeat R] [--generated N]
                             [--no-drain3] [--markdown PATH]
    python bench/patterns.py --api [--datasets DIR] [--markdown PATH]

`--api` is stage 2 (bench/patterns_api.py): the raw lines through the real API and index worker,
pattern ids read back through the API. Without it, stage 1 below.

Stage 1 (this script) mines in-process: for each of the eight systems in
`../shared/datasets/loghub-2k`, the `Content` column of `<Name>_2k.log_structured.csv` (the line
with its header — time, level, component — already split off by the Loghub authors) goes through
a fresh `TemplateMiner` (one tenant, one service per system), line by line in file order, as
ingest would. Each line's pattern is its id at the time it was mined, followed through merges
(`resolve`); its template is that pattern's template at the end, as the API would show it.

- grouping accuracy: share of lines whose predicted group holds exactly their true group's lines;
- parsing accuracy: share of lines whose template equals the truth, after normalising whitespace
  and runs of joined wildcards (`<*>:<*>` counts as `<*>`, see `bench/patterns_accuracy.py`);
- lines/s per core: lines mined per CPU second of this process (`time.process_time`, masking
  included), best of R runs, so a run waiting for a core on a shared machine does not count.

The same figures for `drain3` with its example masking are printed as the baseline (skipped if
drain3 is not installed: `pip install -e '.[bench]'`). Systems are marked by the set they belonged to
while the miner was designed: `design` (looked at) or `held-out` (not looked at until the end).
`--input raw` mines the raw lines of `<Name>_2k.log` instead, each through the generic header
stripper the platform applies before mining (`src/domain/patterns/header.py`: the header ends at
a level word, or after a time and the few fields that follow it); both miners get the same
stripped text. The generated workloads are then also measured behind headers of four common shapes
(`HEADER_SHAPES`: syslog, ISO time + host + pid, epoch + host + component, log4j) and one it does
not recognise (a plain host name after an ISO time), and the stripping rate is printed with the
combined stripping + mining rate.

Two generated workloads (`bench/patterns_data.py`, known templates) are measured the same way:
`app/access/kv` (written before tuning, then looked at once — see docs/benchmarks.md) and
`infra` (written after the design was frozen and never used to change the miner).
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import patterns_drain3
from bench.patterns_accuracy import grouping_accuracy, parsing_accuracy
from bench.patterns_data import HEADER_SHAPES, TEMPLATES, TEMPLATES_INFRA, Slot, generate, with_header
from src.domain.patterns.header import strip_header
from src.domain.patterns.miner import TemplateMiner

# `../shared/datasets/loghub-2k` next to the checkout (or next to its parent, for a worktree).
_REPO = Path(__file__).resolve().parents[1]
DATASETS = (
    next((p for p in (_REPO.parent / "shared", _REPO.parent.parent / "shared") if p.is_dir()), _REPO.parent / "shared")
    / "datasets"
    / "loghub-2k"
)
DESIGN = ("HDFS", "Hadoop", "BGL", "Zookeeper")
HELD_OUT = ("Spark", "HPC", "Windows", "Apache")

Mine = Callable[[Sequence[str]], tuple[list[str], dict[str, str]]]


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    kind: str
    lines: int
    grouping: float
    parsing: float
    rate: float
    base_grouping: float | None
    base_parsing: float | None
    base_rate: float | None


def mine_logplane(service: str) -> Mine:
    def run(lines: Sequence[str]) -> tuple[list[str], dict[str, str]]:
        miner = TemplateMiner("bench", service)
        ids = [miner.add(line).pattern_id for line in lines]
        templates = {pattern.id: pattern.template for pattern in miner.patterns()}
        return [miner.resolve(pid) for pid in ids], templates

    return run


def mine_drain3(lines: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    ids, templates, _ = patterns_drain3.mine(lines)
    return ids, templates


def measure(mine: Mine, lines: Sequence[str], truth: Sequence[str], repeat: int) -> tuple[float, float, float]:
    best = float("inf")
    ids: list[str] = []
    templates: dict[str, str] = {}
    for _ in range(repeat):
        start = time.process_time()
        ids, templates = mine(lines)
        best = min(best, time.process_time() - start)
    predicted = [templates[pid] for pid in ids]
    return grouping_accuracy(truth, ids), parsing_accuracy(truth, predicted), len(lines) / best


def strip_rate(lines: Sequence[str], repeat: int) -> float:
    """Raw lines through `strip_header` per CPU second, best of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for line in lines:
            strip_header(line)
        best = min(best, time.process_time() - start)
    return len(lines) / best


def raw_lines(system: str, root: Path) -> list[str]:
    return (root / system / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()


def load(system: str, root: Path, *, raw: bool) -> tuple[list[str], list[str]]:
    with (root / system / f"{system}_2k.log_structured.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    truth = [row["EventTemplate"] for row in rows]
    if not raw:
        return [row["Content"] for row in rows], truth
    lines = [strip_header(line) for line in raw_lines(system, root)]
    if len(lines) != len(truth):
        raise SystemExit(f"{system}: {len(lines)} raw lines but {len(truth)} labelled ones")
    return lines, truth


def row(name: str, kind: str, lines: list[str], truth: list[str], repeat: int, baseline: bool) -> Row:
    grouping, parsing, rate = measure(mine_logplane(name), lines, truth, repeat)
    base = measure(mine_drain3, lines, truth, repeat) if baseline else (None, None, None)
    return Row(name, kind, len(lines), grouping, parsing, rate, *base)


def generated_truth(n: int, templates: list[tuple[str, str, list[Slot]]]) -> tuple[list[str], list[str]]:
    formats = {name: fmt.replace("{}", "<*>") for name, fmt, _ in templates}
    pairs = generate(n, templates=templates)
    return [line for _, line in pairs], [formats[name] for name, _ in pairs]


def _f(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    out = [
        "| system | set | lines | grouping acc. | parsing acc. | lines/s per core | drain3 grouping | drain3 parsing | drain3 lines/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.name} | {r.kind} | {r.lines:,} | {r.grouping:.3f} | {r.parsing:.3f} | {r.rate:,.0f} | "
            f"{_f(r.base_grouping)} | {_f(r.base_parsing)} | {_f(r.base_rate, ',.0f')} |"
        )
    return "\n".join(out)


def average(rows: list[Row], name: str) -> Row:
    def mean(values: list[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(v or 0.0 for v in values) / len(values)

    lines = sum(r.lines for r in rows)
    # Rates average as lines over total CPU time, not as a mean of rates.
    rate = lines / sum(r.lines / r.rate for r in rows)
    base_rate = None if rows[0].base_rate is None else lines / sum(r.lines / (r.base_rate or 1.0) for r in rows)
    return Row(
        name, "", lines, mean([r.grouping for r in rows]) or 0.0, mean([r.parsing for r in rows]) or 0.0, rate,
        mean([r.base_grouping for r in rows]), mean([r.base_parsing for r in rows]), base_rate,
    )  # fmt: skip


def api_main(args: argparse.Namespace) -> None:
    from bench.patterns_api import run_api

    systems = []
    for system in (*DESIGN, *HELD_OUT):
        with (args.datasets / system / f"{system}_2k.log_structured.csv").open(encoding="utf-8", newline="") as f:
            truth = [r["EventTemplate"] for r in csv.DictReader(f)]
        text = (args.datasets / system / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace")
        systems.append((system, "design" if system in DESIGN else "held-out", text.splitlines(), truth))
    rows, totals = run_api(systems)
    out = [
        f"Python {platform.python_version()}, {platform.machine()}, raw lines through POST /api/v1/logs/raw, "
        "pattern ids read back through GET /api/v1/logs\n",
        "| system | set | lines | events | grouping acc. | parsing acc. | ingest → all mined and searchable (s) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.name} | {r.kind} | {r.lines:,} | {r.events:,} | {r.grouping:.3f} | {r.parsing:.3f} | {r.seconds:.1f} |"
        )
    n = len(rows)
    out.append(
        f"| **average (8)** | | {sum(r.lines for r in rows):,} | {sum(r.events for r in rows):,} | "
        f"**{sum(r.grouping for r in rows) / n:.3f}** | {sum(r.parsing for r in rows) / n:.3f} | |"
    )
    mined, mining_cpu, worker_cpu = totals["mined"], totals["mining_cpu"], totals["worker_cpu"]
    out += [
        "",
        f"- mining, the miner's CPU time alone (worker log): {mined:,} events in {mining_cpu:.3f} s CPU = "
        f"**{mined / mining_cpu:,.0f} lines/s per core**"
        if mining_cpu
        else "- mining CPU time: not logged",
        f"- index worker process, all of it (mining + PostgreSQL round trips + indexing): {totals['events']:,} events "
        f"in {worker_cpu:.2f} s CPU = {totals['events'] / worker_cpu:,.0f} events/s per core"
        if worker_cpu
        else "",
    ]
    text = "\n".join(out)
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--input", choices=["content", "raw"], default="content")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generated", type=int, default=20_000, help="lines of generated logs (0: skip)")
    parser.add_argument("--no-drain3", action="store_true", help="skip the drain3 baseline")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    parser.add_argument("--api", action="store_true", help="stage 2: through the real API and index worker")
    args = parser.parse_args()
    if args.api:
        api_main(args)
        return
    baseline = not args.no_drain3 and patterns_drain3.available()

    rows = []
    for system in (*DESIGN, *HELD_OUT):
        lines, truth = load(system, args.datasets, raw=args.input == "raw")
        rows.append(row(system, "design" if system in DESIGN else "held-out", lines, truth, args.repeat, baseline))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    source = "raw lines, header stripped" if args.input == "raw" else "Content column"
    summary = [
        average(rows, "**average (8)**"),
        average([r for r in rows if r.kind == "design"], "average, design set"),
        average([r for r in rows if r.kind == "held-out"], "average, held-out set"),
    ]
    report = [
        f"Python {platform.python_version()}, {platform.machine()}, {source}, best of {args.repeat} runs\n",
        table(rows + summary),
    ]
    if args.generated:
        generated = []
        for name, kind, templates in (
            ("generated app/access/kv", "looked at", TEMPLATES),
            ("generated infra", "never looked at", TEMPLATES_INFRA),
        ):
            lines, truth = generated_truth(args.generated, templates)
            generated.append(row(name, kind, lines, truth, args.repeat, baseline))
            if args.input == "raw":
                # The same lines behind a header of each common shape, stripped as the Loghub lines are.
                for shape in HEADER_SHAPES:
                    stripped = [strip_header(line) for line in with_header(lines, shape)]
                    generated.append(row(f"{name}, raw: {shape}", kind, stripped, truth, args.repeat, baseline))
        report += ["", table(generated)]
    if args.input == "raw":
        everything = [line for system in (*DESIGN, *HELD_OUT) for line in raw_lines(system, args.datasets)]
        stripping = strip_rate(everything, args.repeat)
        mining = summary[0].rate
        report += [
            "",
            f"- header stripping alone (`strip_header`, all {len(everything):,} raw Loghub lines): "
            f"{stripping:,.0f} lines/s per core",
            f"- raw lines, stripping + mining: 1 / (1/{stripping:,.0f} + 1/{mining:,.0f}) = "
            f"**{1 / (1 / stripping + 1 / mining):,.0f} lines/s per core**",
        ]
    text = "\n".join(report)
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
