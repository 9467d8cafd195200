"""CPU per event of the bulk ingest path's stages, in process: what a rate cannot show on a noisy box.

    python bench/ingest_stages.py [--events 5000] [--batches 10] [--runs 5]

The API's CPU per event is spread over many small stages (bench/results/ingest.md's profiles), so a
change worth a few per cent of it drowns in the spread of `bench/ingest.py`'s rates when other
machines share the host. This script times the stages the bulk route runs for each batch, on the
benchmark's own events, as CPU time (`time.process_time`) of this process, and PostgreSQL's CPU for
the write (every postgres process of the embedded server, from /proc): CPU time is counted only
while running, so other load moves it far less than it moves a rate. Each figure is the median of
`--runs` runs of `--batches` batches. Run it in two checkouts to compare them.

Stages: `decode` (NDJSON lines to drafts: the compiled schema) and `ingest` (`IngestLogs` as the
API builds it, one request at a time: each event checked, ids drawn, the group commit's staging rows,
binary COPY, `INSERT … SELECT` under RLS, commit order and outbox; client CPU here, the server's
under `pg`). Not in it: HTTP, the body's read and split, the response, rate limits.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/ingest_stages.py`

from bench.harness.common import script_setup
from bench.harness.cpu import postgres_cpu
from bench.harness.data import make_events
from bench.harness.stack import Backing, empty_logs, in_process_ingest, on_postgres


def _median_us(samples: list[float], events: int) -> float:
    return statistics.median(samples) / events * 1e6


async def _measure(backing: Backing, args: argparse.Namespace) -> dict[str, list[float]]:
    from src.domain.credentials import Principal, Scope
    from src.entrypoints.http.app import _GC_THRESHOLDS
    from src.entrypoints.http.batch_events import decode_lines
    from src.usecases.ingest_logs import IngestRequest

    lines = [orjson.dumps(e) for e in make_events(args.events)]
    principal = Principal(tenant_id=uuid.uuid4(), subject="bench", scopes=frozenset({Scope.INGEST}), via="api_key")
    spent: dict[str, list[float]] = {"decode": [], "ingest": [], "pg": []}
    async with in_process_ingest(backing.owner_url) as ingest:
        # As the API runs: what lives as long as the process frozen, its collector thresholds.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*_GC_THRESHOLDS)
        for run in range(args.runs + 1):  # the first run warms up (connections, staging table, caches)
            await empty_logs(backing.owner_url)
            totals = dict.fromkeys(spent, 0.0)
            for _ in range(args.batches):
                started = time.process_time()
                drafts = [d for i in range(0, len(lines), 1000) for d in decode_lines(lines[i : i + 1000]) or []]
                assert len(drafts) == args.events, "the compiled schema refused the benchmark's events"
                pg_before, decoded = postgres_cpu(), time.process_time()
                result = await ingest.execute(IngestRequest(principal=principal, items=drafts))
                # Client CPU only: waiting for PostgreSQL costs none. Its work is done once it answered.
                totals["ingest"] += time.process_time() - decoded
                totals["pg"] += postgres_cpu() - pg_before
                totals["decode"] += decoded - started
                assert result.accepted == args.events, result.outcomes[:3]
            if run:
                for name, value in totals.items():
                    spent[name].append(value)
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="events per batch (one bulk request)")
    parser.add_argument("--batches", type=int, default=10, help="batches per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; each figure is their median")
    args = parser.parse_args(argv)
    script_setup()
    spent = on_postgres("logplane-stages-", lambda backing: _measure(backing, args))
    events = args.events * args.batches
    figures = {name: _median_us(samples, events) for name, samples in spent.items()}
    api = figures["decode"] + figures["ingest"]
    print(
        f"Command: `python bench/ingest_stages.py --events {args.events} --batches {args.batches} --runs {args.runs}`"
    )
    print("CPU µs per event (median of runs): " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
    print(f"API stages together {api:.2f}, with PostgreSQL {api + figures['pg']:.2f}")
    print(
        "runs (µs per event): "
        + "; ".join(
            f"{name} " + " ".join(f"{v / events * 1e6:.2f}" for v in samples) for name, samples in spent.items()
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
