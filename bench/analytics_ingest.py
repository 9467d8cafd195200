#!/usr/bin/env python
"""Ingest with analytics on and off: does pattern mining slow the acknowledgement, and does it keep up?

    python bench/analytics_ingest.py [--events 50000] [--rounds 3] [--batch 1000] [--clients 4]

Issue 13 ("Must show"): bulk ingest acknowledgement with mining on must stay within noise of mining
off, and mining must keep up with the ingest rate or report its lag. Mining runs in the index
worker (`LOGPLANE_WORKER_MINE_PATTERNS`, default true; src/usecases/mine_patterns.py) before the
events are indexed, so with mining on an event becomes searchable already carrying its pattern id.

One embedded stack for the whole run (PostgreSQL, Redis, moto SQS, osmem; bench/search.py's
`start_stack`). Per round, both modes in alternating order (off, on / on, off / …), each with a
fresh API process (uvicorn) and a fresh index worker process (`worker index`, mining false/true)
and a fresh tenant:

1. N events (harness-generated application events, 8 services, 6 templates with variable fields,
   mixed with `--loghub-share` real Loghub-2k lines, one service per system) are posted as NDJSON
   to `POST /api/v1/logs/bulk`, `--batch` per request, `--clients` keep-alive clients in flight
   (bench/ingest.py's raw client). The worker runs during ingest, as in production: on two cores it
   competes with the API for CPU, which is what this measures.
   (a) acknowledgement: events/s from the first request to the last 201, and the API process's CPU
       µs per event (with the worker's CPU during the same window beside it);
2. (b) lag: from the last 201 until every event is searchable (an OpenSearch `_count` of the
   tenant reaches N) and, with mining on, until every row has a pattern id (PostgreSQL as owner:
   `count(*) … WHERE pattern_id IS NULL` reaches 0); the backlog at the last 201 is recorded too;
3. (c) the index worker's CPU µs per event over the whole pipeline (first request → all indexed),
   and the miner's own CPU (the worker logs `mined N events in X s CPU` per batch).

Medians over the rounds and on/off ratios of the medians, measured in the same run, are printed as
markdown and written to bench/results/analytics_ingest.md (`--output`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/analytics_ingest.py`

from bench.harness import (
    ROOT,
    ApiServer,
    CpuMeter,
    asyncpg_dsn,
    count_rows,
    create_tenant,
    log,
    machine,
    make_events,
    ndjson_bodies,
    script_setup,
    server_version,
    wait_for_quiet,
    write_keeping,
)
from bench.ingest import run_bulk
from bench.patterns import DATASETS
from bench.search import Stack, WorkerProcess, os_client, os_count, start_stack

_MINED = re.compile(r"mined (\d+) events in ([0-9.]+) s CPU")
MARKER = "## Analysis"
ENV = "LOGPLANE_WORKER_MINE_PATTERNS"


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


def _level(text: str) -> str:
    upper = text.upper()
    if any(word in upper for word in ("ERR", "FATAL", "SEVERE", "FAIL", "CRIT")):
        return "error"
    return "warn" if "WARN" in upper else "info"


def loghub_lines(root: Path) -> list[tuple[str, str, str]]:
    """(service, severity, message) of every Loghub-2k line: the `Content` column, one service per system."""
    out = []
    for path in sorted(root.glob("*/*_2k.log_structured.csv")):
        system = path.parent.name
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            for row in csv.DictReader(f):
                content = (row.get("Content") or "").strip()
                if content:
                    out.append((system.lower(), _level(row.get("Level") or ""), content))
    return out


def build_events(n: int, loghub_share: float, datasets: Path, seed: int = 13) -> tuple[list[dict[str, Any]], int]:
    """N client events: generated application events, a share of them replaced by real Loghub lines
    (in file order per system, cycling), so the miner sees both a few hot templates and a long tail."""
    events = make_events(n, seed=seed)
    lines = loghub_lines(datasets) if loghub_share > 0 else []
    if not lines:
        return events, 0
    rng = random.Random(seed)
    picked = 0
    for i, event in enumerate(events):
        if rng.random() < loghub_share:
            service, severity, message = lines[picked % len(lines)]
            picked += 1
            events[i] = {**event, "service": service, "severity": severity, "message": message, "attributes": {}}
    return events, picked


# --------------------------------------------------------------------------------------------------
# One run: API + worker started, N events posted, waited on until indexed (and mined)
# --------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    round: int
    mining: bool
    ack_seconds: float
    ack: CpuMeter  # first request → last 201
    pipeline: CpuMeter  # first request → all indexed (and mined)
    indexed_lag: float  # last 201 → all searchable
    mined_lag: float | None  # last 201 → no row without pattern id (mining on)
    backlog_indexed: int  # events not yet searchable at the last 201
    backlog_unmined: int | None
    mined_events: int
    mining_cpu: float  # the miner's own CPU seconds (worker log)
    patterns: int | None
    n: int

    @property
    def ack_rate(self) -> float:
        return self.n / self.ack_seconds

    def api_us(self) -> float:
        return self.ack.micros_per(self.n, "api")

    def worker_us_during_ack(self) -> float:
        return self.ack.micros_per(self.n, "worker")

    def worker_us(self) -> float:
        return self.pipeline.micros_per(self.n, "worker")

    def mining_us(self) -> float:
        return self.mining_cpu / self.n * 1e6

    @property
    def drain_rate(self) -> float:
        """Events per second from the first request until all are searchable (and mined)."""
        done = max(self.indexed_lag, self.mined_lag or 0.0)
        return self.n / (self.ack_seconds + done)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """WorkerProcess copies os.environ when it starts: set the mining switch for that moment only."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_worker_idle(worker: WorkerProcess, timeout: float = 120.0) -> None:
    """Until the worker's start-up (imports, connections) is over: its CPU stops growing while it
    long-polls an empty queue. Keeps start-up out of the CPU windows."""
    deadline = time.monotonic() + timeout
    time.sleep(1.0)
    last = _process_cpu(worker.pid)
    while time.monotonic() < deadline:
        worker.check()
        time.sleep(0.5)
        now = _process_cpu(worker.pid)
        if now - last < 0.02:
            return
        last = now
    log("worker still busy after start-up timeout; measuring anyway")


async def _backlog(os_url: str, owner_url: str, tenant_id: uuid.UUID, n: int, mining: bool) -> tuple[int, int | None]:
    client = os_client(os_url)
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        indexed = await os_count(client, tenant_id)
        unmined = None
        if mining:
            unmined = int(
                await conn.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1 AND pattern_id IS NULL", tenant_id)
            )
        return n - indexed, unmined
    finally:
        await conn.close()
        await client.close()


async def wait_done(
    os_url: str,
    owner_url: str,
    tenant_id: uuid.UUID,
    n: int,
    mining: bool,
    *,
    since: float,
    within: float,
    every: float,
) -> tuple[float, float | None]:
    """(seconds from `since` until all N are searchable, … until none lacks a pattern id or None)."""
    client = os_client(os_url)
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    indexed_at: float | None = None
    mined_at: float | None = None
    deadline = time.perf_counter() + within
    try:
        while True:
            if indexed_at is None and await os_count(client, tenant_id) >= n:
                indexed_at = time.perf_counter() - since
            if mining and mined_at is None:
                unmined = await conn.fetchval(
                    "SELECT count(*) FROM logs WHERE tenant_id = $1 AND pattern_id IS NULL", tenant_id
                )
                if unmined == 0:
                    mined_at = time.perf_counter() - since
            if indexed_at is not None and (mined_at is not None or not mining):
                return indexed_at, mined_at
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"not indexed/mined within {within:g} s (indexed at {indexed_at}, mined at {mined_at})"
                )
            await asyncio.sleep(every)
    finally:
        await conn.close()
        await client.close()


async def pattern_count(owner_url: str, tenant_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        return int(await conn.fetchval("SELECT count(DISTINCT pattern_id) FROM logs WHERE tenant_id = $1", tenant_id))
    finally:
        await conn.close()


def mining_log(worker: WorkerProcess) -> tuple[int, float]:
    events, cpu = 0, 0.0
    for entry in worker.log_lines():
        found = _MINED.search(str(entry.get("message", "")))
        if found:
            events += int(found.group(1))
            cpu += float(found.group(2))
    return events, cpu


def run_once(stack: Stack, bodies: list[bytes], n: int, mining: bool, rnd: int, args: argparse.Namespace) -> RunResult:
    mode = "on" if mining else "off"
    switch = {ENV: "true" if mining else "false"}
    with environment(**switch):
        worker = WorkerProcess(stack, stack.workdir / f"worker-r{rnd}-{mode}.log")
    api = ApiServer(
        stack.backing,
        workers=1,
        log_path=stack.workdir / f"api-r{rnd}-{mode}.log",
        factory="bench.app_factory:create_app",
        extra_env={**stack.env(), **switch},
    )
    try:
        api.wait_ready()
        wait_worker_idle(worker)
        tenant = asyncio.run(create_tenant(api.base_url, f"bench-analytics-{mode}-{uuid.uuid4().hex[:6]}"))
        wait_for_quiet(args.quiet_wait, threshold=0.5)
        roots = stack.roots(api=api.pid, worker=worker.pid)
        pipeline = CpuMeter(roots).start()
        ack = CpuMeter(roots).start()
        started = time.perf_counter()
        _, accepted, _ = asyncio.run(run_bulk(api.base_url, tenant.api_key, bodies, args.clients, 0.05))
        acked = time.perf_counter()
        ack.stop()
        if accepted != n:
            raise RuntimeError(f"{accepted} events accepted, expected {n}")
        backlog_indexed, backlog_unmined = asyncio.run(
            _backlog(stack.os_url, stack.backing.owner_url, tenant.id, n, mining)
        )
        indexed_lag, mined_lag = asyncio.run(
            wait_done(
                stack.os_url, stack.backing.owner_url, tenant.id, n, mining,
                since=acked, within=args.drain_timeout, every=args.poll,
            )
        )  # fmt: skip
        pipeline.stop()
        stored = asyncio.run(count_rows(stack.backing.owner_url, tenant.id))
        if stored != n:
            raise RuntimeError(f"{stored} rows stored, expected {n}")
        mined_events, mining_cpu = mining_log(worker)
        patterns = asyncio.run(pattern_count(stack.backing.owner_url, tenant.id)) if mining else None
        result = RunResult(
            rnd, mining, acked - started, ack, pipeline, indexed_lag, mined_lag, backlog_indexed, backlog_unmined,
            mined_events, mining_cpu, patterns, n,
        )  # fmt: skip
        log(
            f"round {rnd} mining {mode}: ack {result.ack_rate:,.0f} events/s ({result.ack_seconds:.2f} s), "
            f"api {result.api_us():.0f} µs/event, indexed +{indexed_lag:.1f} s"
            + (f", mined +{mined_lag:.1f} s" if mined_lag is not None else "")
            + f", worker {result.worker_us():.0f} µs/event [ack: {ack.describe()}] [pipeline: {pipeline.describe()}]"
        )
        return result
    finally:
        api.stop()
        worker.stop()


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def render(args: argparse.Namespace, command: str, results: list[RunResult], owner_url: str, loghub: int) -> str:
    n = args.events
    off = [r for r in results if not r.mining]
    on = [r for r in results if r.mining]

    def med(rows: list[RunResult], f: Any) -> float:
        return _median([f(r) for r in rows])

    lines = [
        "## Ingest with analytics (pattern mining) on and off",
        "",
        f"Command: `{command}`",
        "",
        f"Run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}; PostgreSQL "
        f"{server_version(owner_url)} (embedded), osmem, moto SQS, one uvicorn worker, one index worker "
        f"(`worker index`, {ENV}=false/true), both restarted for every run; a fresh tenant per run.",
        "",
        f"Per run: {n:,} events ({loghub:,} of them Loghub-2k lines, the rest generated application events), "
        f"NDJSON bulk, {args.batch} per request, {args.clients} clients. Modes alternate (round 1 off→on, round 2 "
        "on→off, …). *ack* = first request → last 201; *lag* = last 201 → every event searchable (OpenSearch count) "
        "and, mining on, → no row with `pattern_id IS NULL` (PostgreSQL); *backlog* = events not yet searchable "
        "(unmined) at the last 201. CPU µs/event: API process during *ack*; index worker during *ack* and over the "
        "whole pipeline (first request → all indexed/mined); *miner* = the miner's own CPU (worker log). "
        "*other* = cores used by the rest of the (shared) machine during *ack*.",
        "",
        "| round | mining | ack events/s | ack s | API CPU µs/event | worker CPU µs/event during ack | other cores "
        "during ack | lag to searchable s | lag to mined s | backlog at last 201 (unsearchable / unmined) "
        "| worker CPU µs/event (pipeline) | miner CPU µs/event | pipeline events/s | patterns |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.round + 1} | {'on' if r.mining else 'off'} | {r.ack_rate:,.0f} | {r.ack_seconds:.2f} "
            f"| {r.api_us():.0f} | {r.worker_us_during_ack():.0f} | {r.ack.other:.2f} | {r.indexed_lag:.1f} "
            f"| {'-' if r.mined_lag is None else f'{r.mined_lag:.1f}'} "
            f"| {r.backlog_indexed:,} / {'-' if r.backlog_unmined is None else f'{r.backlog_unmined:,}'} "
            f"| {r.worker_us():.0f} | {'-' if not r.mining else f'{r.mining_us():.0f}'} | {r.drain_rate:,.0f} "
            f"| {'-' if r.patterns is None else r.patterns} |"
        )

    def row(label: str, f: Any, fmt: str = "{:,.0f}") -> str:
        a, b = med(off, f), med(on, f)
        ratio = b / a if a else float("nan")
        return f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio:.2f} |"

    lines += [
        "",
        f"Medians over {args.rounds} rounds, ratio = on / off:",
        "",
        "| figure | mining off | mining on | on / off |",
        "|---|---:|---:|---:|",
        row("ack events/s (wall)", lambda r: r.ack_rate),
        row("API CPU µs/event", lambda r: r.api_us()),
        row("index worker CPU µs/event during ack", lambda r: r.worker_us_during_ack()),
        row("lag, last 201 → all searchable (s)", lambda r: r.indexed_lag, "{:.1f}"),
        row("backlog at last 201 (events not searchable)", lambda r: r.backlog_indexed),
        row("index worker CPU µs/event (pipeline)", lambda r: r.worker_us()),
        row("PostgreSQL CPU µs/event (pipeline)", lambda r: r.pipeline.micros_per(r.n, "postgres")),
        row("search engine CPU µs/event (pipeline)", lambda r: r.pipeline.micros_per(r.n, "osmem", "opensearch")),
        row("pipeline events/s (first request → all searchable/mined)", lambda r: r.drain_rate),
    ]
    mined_rate = med(on, lambda r: r.n / (r.ack_seconds + (r.mined_lag or 0.0)))
    indexed_off = med(off, lambda r: r.indexed_lag)
    mined_lag = med(on, lambda r: r.mined_lag or 0.0)
    miner_us = med(on, lambda r: r.mining_us())
    ack_on = med(on, lambda r: r.ack_rate)
    ack_spread = [r.ack_rate for r in off]
    noise = (max(ack_spread) - min(ack_spread)) / _median(ack_spread) if len(ack_spread) > 1 else float("nan")
    ratio = ack_on / med(off, lambda r: r.ack_rate)
    lines += [
        "",
        f"Mining on: lag from the last 201 until no row lacks a pattern id, median {mined_lag:.1f} s; the miner's own "
        f"CPU {miner_us:.1f} µs/event = {1e6 / miner_us:,.0f} events/s per core (the acknowledgement ran at "
        f"{ack_on:,.0f} events/s). Events mined per second of wall time, first request → all mined: "
        f"{mined_rate:,.0f} (mining keeps up with the acknowledgement: {'yes' if mined_rate >= ack_on else 'no'}; "
        f"with mining off, the index alone lags {indexed_off:.1f} s). Acknowledgement on/off {ratio:.2f}; spread "
        f"of mining-off runs (max - min) / median = {noise:.2f}.",
    ]
    noisy = max(results, key=lambda r: r.ack.other)
    if noisy.ack.other > 0.25:
        lines += [
            "",
            f"Note: other processes used up to {noisy.ack.other:.2f} cores during an ack window "
            f"(round {noisy.round + 1}, mining {'on' if noisy.mining else 'off'}); compare CPU µs/event, "
            "which move less than rates under load.",
        ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=50_000, help="events per run")
    p.add_argument("--rounds", type=int, default=3, help="rounds; each runs mining off and on (alternating order)")
    p.add_argument("--batch", type=int, default=1000, help="events per bulk request")
    p.add_argument("--clients", type=int, default=4, help="concurrent bulk clients")
    p.add_argument("--loghub-share", type=float, default=0.3, help="share of events that are Loghub-2k lines")
    p.add_argument("--datasets", type=Path, default=DATASETS, help="the Loghub-2k folder")
    p.add_argument("--quiet-wait", type=float, default=5.0, help="seconds to wait for a quiet machine before a run")
    p.add_argument("--poll", type=float, default=0.25, help="seconds between searchable/mined checks")
    p.add_argument("--drain-timeout", type=float, default=300.0, help="longest wait for indexing/mining per run")
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "analytics_ingest.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    script_setup(uvloop=False)  # this one has always run on asyncio's own loop
    command = "python bench/analytics_ingest.py " + " ".join(sys.argv[1:] if argv is None else argv)
    workdir = Path(tempfile.mkdtemp(prefix="logplane-bench-analytics-"))
    stack: Stack | None = None
    try:
        events, loghub = build_events(args.events, args.loghub_share, args.datasets)
        # Spread over the last hour (not the whole day): every run's events land in today's index.
        now = datetime.now(UTC)
        rng = random.Random(1)
        for e in events:
            e["timestamp"] = (now - timedelta(seconds=60 + rng.random() * 3600)).isoformat()
        bodies = ndjson_bodies(events, args.batch)
        del events
        log(f"workdir {workdir}; {args.events} events ({loghub} Loghub lines) in {len(bodies)} bodies")
        stack = start_stack(workdir)
        results = []
        for rnd in range(args.rounds):
            order = (False, True) if rnd % 2 == 0 else (True, False)
            for mining in order:
                results.append(run_once(stack, bodies, args.events, mining, rnd, args))
        report = render(args, command, results, stack.backing.owner_url, loghub)
        print(report)
        write_keeping(args.output, report, MARKER)
        log(f"written to {args.output}")
        return 0
    finally:
        if stack is not None:
            stack.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
