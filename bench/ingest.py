#!/usr/bin/env python
"""Ingest benchmark: raw COPY into `logs` against the real HTTP API (bulk NDJSON and single POST).

    python bench/ingest.py [--events N] [--duration S] [--workers 1,2] [--batch-sizes 1000,5000]

What it does, end to end, with nothing to set up:

1. PostgreSQL: a fresh database on `DATABASE_URL`'s server, else an embedded server in a temp dir;
   migrated to head. Redis: `REDIS_URL`, else an embedded redis-server.
2. The API: `python -m uvicorn --factory bench.app_factory:create_app` as a subprocess (uvloop,
   httptools, no access log, rate limiting off), once per `--workers` value.
3. Baseline: N generated events written with asyncpg `copy_records_to_table` as the owner, one
   connection, in chunks of the largest batch size, each chunk its own transaction. It runs right
   before every bulk run (so it meets the same machine weather); its fastest run is the ceiling.
   Every COPY and bulk run starts from an emptied `logs` after a checkpoint (`--keep-rows`: not).
4. Bulk API: the same N events as NDJSON bodies (serialised before the clock starts) posted to
   `POST /api/v1/logs/bulk` by a few concurrent keep-alive clients, once per batch size. With
   several workers the clients' connections are spread evenly over them, as a load balancer would
   (`--no-balance`: wherever the kernel's accept puts them, which was 3/1 or 4/0 in some runs).
5. Single POST: `--single-clients` connections each posting one event per request to
   `POST /api/v1/logs` for `--duration` seconds, with `wrk` if installed (cheapest load generator on a
   small machine), else a lean asyncio client speaking raw HTTP/1.1 with pre-built request bytes
   (`--client wrk,python` runs both). wrk opens its connections in one burst, which with
   `--workers 2` can land them all on one worker; the asyncio client spaces them out. The split is
   reported.
6. Every phase is checked: each response must be 201 and the tenant's row count must match.

Shared machine: before each timed phase the script waits (up to `--quiet-wait` s) for other
processes to go quiet, keeps the best of `--repeat` runs, and warns when others still used CPU.

Each phase also reports where the CPU went (API processes, PostgreSQL, load generator, everything
else on the machine), read from /proc, because on a 2-core box the client and the database compete
with the API for the same cores. `--profile DIR` attaches py-spy to the API during the bulk and single
phases and prints the hottest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/ingest.py`

from bench.harness import (
    COPY_COLUMNS,
    ApiServer,
    Backing,
    CpuMeter,
    Profiler,
    Tenant,
    asyncpg_dsn,
    count_rows,
    create_tenant,
    empty_logs,
    int_list,
    key_value,
    log,
    machine,
    make_events,
    ndjson_bodies,
    script_setup,
    server_version,
    start_backing,
    wait_for_quiet,
)
from bench.harness.data import copy_records


async def run_copy(owner_url: str, records: list[tuple[Any, ...]], chunk: int, cpu: CpuMeter) -> float:
    """Seconds to COPY all records, one transaction per chunk, one connection."""
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        # Warm the connection and the catalog caches with an empty COPY.
        await conn.copy_records_to_table("logs", records=[], columns=COPY_COLUMNS)
        # The CPU window closes before the connection does, so its backend's CPU time is counted.
        cpu.start()
        started = time.perf_counter()
        for i in range(0, len(records), chunk):
            await conn.copy_records_to_table("logs", records=records[i : i + chunk], columns=COPY_COLUMNS)
        elapsed = time.perf_counter() - started
        cpu.stop()
        return elapsed
    finally:
        await conn.close()


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: pre-built request bytes in, status and body out.

    Far cheaper per request than a general client, which matters when the load generator shares two
    cores with the server it measures. Responses must carry Content-Length (the API's always do).
    """

    _LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open_many(cls, base_url: str, count: int, spacing: float) -> list[RawConnection]:
        """Open `count` connections one by one: with several uvicorn workers sharing one listening
        socket, a burst of connects tends to be accepted by a single worker; spaced ones spread."""
        host, port = base_url.removeprefix("http://").split(":")
        connections = []
        for i in range(count):
            if i and spacing:
                await asyncio.sleep(spacing)
            connections.append(cls(*await asyncio.open_connection(host, int(port))))
        return connections

    async def request(self, data: bytes) -> tuple[int, bytes]:
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = self._LENGTH.search(head)
        body = await self.reader.readexactly(int(length.group(1)) if length else 0)
        return int(head[9:12]), body

    def close(self) -> None:
        self.writer.close()


def post_bytes(base_url: str, path: str, api_key: str, content_type: str, body: bytes) -> bytes:
    host = base_url.removeprefix("http://")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _server_pids(port: int) -> dict[int, str]:
    """Our side's port of each established connection to the API port -> the server process's pid."""
    try:
        out = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    found = {}
    for line in out.splitlines():
        peer = re.search(r"\s\S+:(\d+)\s+users:", line)
        pid = re.search(r"pid=(\d+)", line)
        if peer and pid:
            found[int(peer.group(1))] = pid.group(1)
    return found


async def open_balanced(base_url: str, count: int, workers: int, spacing: float) -> list[RawConnection]:
    """`count` connections spread evenly over the `workers` API processes (as a load balancer in front
    of them would): the kernel hands each accept to whichever worker waits, and 4 long-lived
    connections landed 3/1 or 4/0 in some runs, which then measured one worker, not two.
    A connection to a worker that already has its share is kept open until the end (so the next
    connect cannot land on the same idle slot again), then closed before the clock starts."""
    port = int(base_url.rsplit(":", 1)[1])
    share = -(-count // workers)
    kept: list[RawConnection] = []
    spare: list[RawConnection] = []
    per_pid: Counter[str] = Counter()
    try:
        for _ in range(count * 8):
            if len(kept) == count:
                break
            (connection,) = await RawConnection.open_many(base_url, 1, 0)
            await asyncio.sleep(spacing)  # the worker's accept shows in `ss` once it ran
            pid = _server_pids(port).get(connection.writer.get_extra_info("sockname")[1])
            if pid is None or per_pid[pid] < share:
                per_pid[pid or "?"] += 1
                kept.append(connection)
            else:
                spare.append(connection)
        if (missing := count - len(kept)) > 0:  # could not balance (no `ss`?): take what there is
            kept, spare = kept + spare[:missing], spare[missing:]
        return kept
    finally:
        for connection in spare:
            connection.close()


def connection_split(port: int, connections: list[RawConnection] | None = None) -> str:
    """Connections per server process, e.g. "2/2" ("?" without `ss`): of `connections`, or of every
    established connection to the port (another tool's, as wrk's)."""
    pids = _server_pids(port)
    if connections is None:
        counts = Counter(pids.values())
    else:
        counts = Counter(pids.get(c.writer.get_extra_info("sockname")[1], "?") for c in connections)
    return "/".join(str(n) for _, n in counts.most_common()) or "?"


async def run_bulk(
    base_url: str,
    api_key: str,
    bodies: list[bytes],
    clients: int,
    spacing: float,
    balance_over: int = 1,
    cpu: CpuMeter | None = None,
) -> tuple[float, int, str]:
    """(seconds, events accepted, connections per API process) for posting every body, `clients` in
    flight; their connections spread evenly over `balance_over` API processes when that is > 1.
    `cpu`, when given, measures the timed window only, as `run_copy`'s does: not the connects (spaced 50 ms
    apart, and repeated until balanced) nor the `ss` call, which in a 2-second run showed as
    ~0.3 idle cores that were not idle while events flowed."""
    requests = [post_bytes(base_url, "/api/v1/logs/bulk", api_key, "application/x-ndjson", b) for b in bodies]
    pending = iter(range(len(requests)))
    accepted = 0

    async def worker(connection: RawConnection) -> None:
        nonlocal accepted
        for i in pending:
            status, body = await connection.request(requests[i])
            if status != 201:
                raise RuntimeError(f"bulk batch {i}: HTTP {status}: {body[:500]!r}")
            accepted += int(orjson.loads(body)["accepted"])

    # Connections are opened before the clock starts.
    connections = (
        await open_balanced(base_url, clients, balance_over, spacing)
        if balance_over > 1
        else await RawConnection.open_many(base_url, clients, spacing)
    )
    split = connection_split(int(base_url.rsplit(":", 1)[1]), connections)
    try:
        if cpu:
            cpu.start()
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in connections))
        elapsed = time.perf_counter() - started
        if cpu:
            cpu.stop()
        return elapsed, accepted, split
    finally:
        for connection in connections:
            connection.close()


@dataclass
class LoadResult:
    tool: str
    seconds: float
    ok: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def single_event_body() -> bytes:
    return orjson.dumps(
        {
            "timestamp": datetime.now(UTC).isoformat(),
            "severity": "info",
            "service": "checkout",
            "host": "ip-10-0-1-12",
            "message": (
                "POST /api/v1/orders/482913 completed with status 201 in 23.4 ms "
                "(user=u_04211, region=eu-west-1, cache=miss, bytes=1834)"
            ),
            "user_id": "u_04211",
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7",
            "attributes": {"http": {"method": "POST", "status": 201}, "duration_ms": 23.4, "region": "eu-west-1"},
        }
    )


_WRK_LUA = """
wrk.method = "POST"
wrk.path = "/api/v1/logs"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.body = [==[{body}]==]

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {{\\"requests\\":%d,\\"duration_us\\":%d,\\"p50\\":%d,\\"p90\\":%d,\\"p99\\":%d,\\"max\\":%d," ..
    "\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def run_wrk(
    base_url: str, api_key: str, body: bytes, *, connections: int, seconds: float, threads: int, workdir: Path
) -> tuple[LoadResult, str]:
    script = workdir / "post_one.lua"
    script.write_text(_WRK_LUA.format(key=api_key, body=body.decode()))
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    proc = subprocess.Popen(
        [*args, "-s", str(script), base_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(min(1.0, seconds / 2))
    split = connection_split(int(base_url.rsplit(":", 1)[1]))
    try:
        stdout, stderr = proc.communicate(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    match = re.search(r"BENCH_JSON (\{.*\})", stdout)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{stdout}\n{stderr}")
    data = orjson.loads(match.group(1))
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    result = LoadResult(
        tool=f"wrk -t{threads} -c{connections}",
        seconds=data["duration_us"] / 1e6,
        ok=data["requests"] - data["status"],
        errors=errors,
        p50_ms=data["p50"] / 1000,
        p90_ms=data["p90"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
    )
    return result, split


async def run_python_load(
    base_url: str, api_key: str, body: bytes, *, connections: int, seconds: float, spacing: float
) -> tuple[LoadResult, str]:
    """Lean keep-alive HTTP/1.1 load on raw asyncio streams, the request bytes built once."""
    request = post_bytes(base_url, "/api/v1/logs", api_key, "application/json", body)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    clock = time.perf_counter

    async def client(connection: RawConnection, stop_at: float) -> None:
        while clock() < stop_at:
            sent = clock()
            status, _ = await connection.request(request)
            latencies.append(clock() - sent)
            statuses[status] += 1

    opened = await RawConnection.open_many(base_url, connections, spacing)
    split = connection_split(int(base_url.rsplit(":", 1)[1]), opened)
    try:
        started = clock()
        await asyncio.gather(*(client(c, started + seconds) for c in opened))
        elapsed = clock() - started
    finally:
        for connection in opened:
            connection.close()
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    result = LoadResult(
        f"python asyncio, {connections} conns",
        elapsed,
        ok,
        len(latencies) - ok,
        pct(50),
        pct(90),
        pct(99),
        ordered[-1] * 1000,
    )
    return result, split


def single_load(
    tool: str, base_url: str, api_key: str, body: bytes, args: argparse.Namespace, workdir: Path, seconds: float
) -> tuple[LoadResult, str]:
    """(result, connections per API process) of `seconds` of single-event POSTs."""
    if tool == "wrk":
        return run_wrk(
            base_url,
            api_key,
            body,
            connections=args.single_clients,
            seconds=seconds,
            threads=args.wrk_threads,
            workdir=workdir,
        )
    return asyncio.run(
        run_python_load(
            base_url, api_key, body, connections=args.single_clients, seconds=seconds, spacing=args.connect_spacing
        )
    )


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One throughput figure: the best of `rates` (one per repetition)."""

    label: str
    events: int
    seconds: float
    cpu: CpuMeter
    workers: int | None = None
    rates: list[float] = field(default_factory=list)
    # Each run's rate over that of the COPY run right before it (bulk rows only): a slow or fast
    # moment of a shared host then moves both sides of one ratio, where best against best pairs
    # the luckiest COPY with the luckiest bulk run, which may be far apart.
    paired: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def require_rows(owner_url: str, tenant_id: uuid.UUID, expected: int, what: str) -> str:
    """Fail unless the tenant holds exactly `expected` rows; "stored/expected" for the report."""
    stored = asyncio.run(count_rows(owner_url, tenant_id))
    if stored != expected:
        raise RuntimeError(f"{what}: {stored} rows stored, expected {expected}")
    return f"{stored}/{expected}"


@dataclass
class Baseline:
    """Raw COPY runs. One runs right before every bulk API run, so that on a shared machine the
    baseline gets as many chances at a quiet moment as the API does; the fastest run is the ceiling."""

    backing: Backing
    events: list[dict[str, Any]]
    chunk: int
    runs: list[tuple[float, CpuMeter]] = field(default_factory=list)
    tenant: Tenant | None = None
    # Every run into an emptied `logs` (see `empty_logs`), checked on its own; else the table grows.
    fresh: bool = True

    def measure(self, api_pid: int, quiet_wait: float) -> None:
        assert self.tenant is not None
        n = len(self.events)
        records = copy_records(self.events, self.tenant.id)  # fresh ids each run
        cpu = CpuMeter({"api": api_pid})
        if self.fresh:
            asyncio.run(empty_logs(self.backing.owner_url))
        wait_for_quiet(quiet_wait)
        seconds = asyncio.run(run_copy(self.backing.owner_url, records, self.chunk, cpu))
        self.runs.append((seconds, cpu))
        log(f"COPY: {n} events in {seconds:.2f} s = {n / seconds:,.0f} events/s [{cpu.describe()}]")
        if self.fresh:
            require_rows(self.backing.owner_url, self.tenant.id, n, "COPY")

    def verify(self) -> str:
        assert self.tenant is not None
        n = len(self.events)
        if self.fresh:
            return f"COPY {n}/{n} in each of {len(self.runs)} runs"
        return "COPY " + require_rows(self.backing.owner_url, self.tenant.id, n * len(self.runs), "COPY")

    def row(self) -> Row:
        n = len(self.events)
        seconds, cpu = min(self.runs, key=lambda r: r[0])
        label = f"raw COPY (asyncpg, {self.chunk}-row chunks, 1 connection)"
        return Row(label, n, seconds, cpu, None, [n / s for s, _ in self.runs])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=100_000, help="events for COPY and for each bulk run")
    p.add_argument("--duration", type=float, default=15.0, help="seconds of single-event POST load")
    p.add_argument("--batch-sizes", type=int_list, default=[1000, 5000], help="bulk batch sizes, comma-separated")
    p.add_argument("--bulk-clients", type=int, default=4, help="concurrent bulk clients")
    p.add_argument("--single-clients", type=int, default=32, help="concurrent single-POST connections")
    p.add_argument("--workers", type=int_list, default=[1, 2], help="uvicorn worker counts to try, comma-separated")
    p.add_argument(
        "--api-env",
        type=key_value,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the API process, e.g. LOGPLANE_DB_POOL_SIZE=20 (repeatable)",
    )
    p.add_argument(
        "--factory",
        default="bench.app_factory:create_app",
        help="uvicorn app factory (module:function); put other modules on PYTHONPATH to A/B a change",
    )
    p.add_argument(
        "--client",
        default="auto",
        help="single-POST load generator: wrk, python (raw asyncio), auto (wrk if installed), or a list: wrk,python",
    )
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1 keeps its CPU share smallest)")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed single-POST warm-up")
    p.add_argument("--repeat", type=int, default=2, help="COPY and bulk runs per figure; the best counts")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=5.0,
        help="seconds to wait, before each timed phase, for other processes to go quiet (0: don't)",
    )
    p.add_argument(
        "--connect-spacing",
        type=float,
        default=0.05,
        help="seconds between opening client connections (spreads them over uvicorn workers)",
    )
    p.add_argument(
        "--no-balance",
        dest="balance",
        action="store_false",
        help="bulk clients' connections wherever the kernel puts them (default: spread evenly over workers)",
    )
    p.add_argument("--skip-single", action="store_true", help="bulk and COPY only")
    p.add_argument(
        "--keep-rows",
        action="store_true",
        help="let the table grow through the run (before 3 Dec 2026 every run did; by default each COPY and "
        "bulk run starts from an emptied logs table after a checkpoint)",
    )
    p.add_argument(
        "--rate-limit",
        default="off",
        help="single POST with rate limiting off, on (Redis, a limit never reached) or both: off,on",
    )
    p.add_argument("--profile", type=Path, default=None, help="directory for py-spy profiles of the API")
    p.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    script_setup()
    tools = [t.strip() for t in args.client.split(",") if t.strip()]
    tools = list(dict.fromkeys((("wrk" if shutil.which("wrk") else "python") if t == "auto" else t) for t in tools))
    if any(t not in ("wrk", "python") for t in tools) or not tools:
        raise SystemExit(f"--client: expected auto, wrk, python or a comma list of them, got {args.client!r}")
    if "wrk" in tools and not shutil.which("wrk"):
        raise SystemExit("--client wrk: wrk is not installed (apt-get install wrk), use --client python")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    command = "python bench/ingest.py " + " ".join(sys.argv[1:] if argv is None else argv)
    workdir = Path(tempfile.mkdtemp(prefix="logplane-bench-"))
    backing: Backing | None = None
    try:
        log(f"workdir {workdir}; generating {args.events} events")
        backing = start_backing(workdir)
        events = make_events(args.events)
        return run(args, tools, command, backing, events, workdir)
    finally:
        if backing is not None:
            backing.close()
        shutil.rmtree(workdir, ignore_errors=True)


def run(
    args: argparse.Namespace,
    tools: list[str],
    command: str,
    backing: Backing,
    events: list[dict[str, Any]],
    workdir: Path,
) -> int:
    n = len(events)
    bulk_rows: list[Row] = []
    single: list[tuple[int, LoadResult, CpuMeter]] = []
    baseline = Baseline(backing, events, max(args.batch_sizes, default=5000), fresh=not args.keep_rows)
    verified: list[str] = []
    tenants: dict[str, Tenant] = {}
    limiting = [m.strip() for m in args.rate_limit.split(",") if m.strip()]
    if not limiting or any(m not in ("off", "on") for m in limiting):
        raise SystemExit(f"--rate-limit: expected off, on or off,on, got {args.rate_limit!r}")
    for workers, limit_mode in [(w, m) for w in args.workers for m in limiting]:
        first_mode = limit_mode == limiting[0]
        extra_env = dict(args.api_env)
        if limit_mode == "on":
            # Counted in Redis on every request, with a budget no run reaches.
            extra_env |= {"LOGPLANE_RATE_LIMIT_ENABLED": "true", "LOGPLANE_RATE_LIMIT_DEFAULT_PER_MINUTE": "100000000"}
        server = ApiServer(
            backing,
            workers=workers,
            log_path=workdir / f"api-w{workers}-{limit_mode}.log",
            factory=args.factory,
            extra_env=extra_env,
        )
        try:
            server.wait_ready()
            log(f"API up: {server.base_url}, workers={workers}, rate limiting {limit_mode}, pid {server.pid}")
            names = [f"copy-{workers}", f"warmup-{workers}", *(f"single-{workers}-{tool}" for tool in tools)]
            names += [f"bulk-{size}-{workers}" for size in args.batch_sizes]
            names = [f"{name}-{limit_mode}" for name in names]
            suffix = uuid.uuid4().hex[:6]
            for name in names:
                tenants[name] = asyncio.run(create_tenant(server.base_url, f"bench-{name}-{suffix}"))

            baseline.tenant = baseline.tenant or tenants[f"copy-{workers}-{limit_mode}"]
            if not args.batch_sizes or not first_mode:
                baseline.measure(server.pid, args.quiet_wait)

            for size in args.batch_sizes if first_mode else []:
                tenant = tenants[f"bulk-{size}-{workers}-{limit_mode}"]
                bodies = ndjson_bodies(events, size)
                runs: list[tuple[float, CpuMeter]] = []
                paired: list[float] = []
                splits: list[str] = []
                for attempt in range(args.repeat):
                    name = f"bulk-{size}-w{workers}" + (f"-{attempt + 1}" if args.repeat > 1 else "")
                    baseline.measure(server.pid, args.quiet_wait)
                    if baseline.fresh:
                        asyncio.run(empty_logs(backing.owner_url))
                    wait_for_quiet(args.quiet_wait)
                    profiler = Profiler(args.profile, server.pid, name)
                    cpu = CpuMeter({"api": server.pid})
                    try:
                        seconds, accepted, split = asyncio.run(
                            run_bulk(
                                server.base_url,
                                tenant.api_key,
                                bodies,
                                args.bulk_clients,
                                args.connect_spacing,
                                workers if args.balance else 1,
                                cpu,
                            )
                        )
                    finally:
                        profiler.stop()
                    if accepted != n:
                        raise RuntimeError(f"bulk {size}: {accepted} accepted, expected {n}")
                    if baseline.fresh:
                        require_rows(backing.owner_url, tenant.id, n, f"bulk {size}")
                    runs.append((seconds, cpu))
                    paired.append(baseline.runs[-1][0] / seconds)
                    splits.append(split)
                    log(
                        f"bulk {size} (workers={workers}, connections {split}): {n / seconds:,.0f} events/s in {seconds:.2f} s "
                        f"[{cpu.describe()}]"
                    )
                del bodies
                if baseline.fresh:
                    counted = f"{n}/{n} in each of {args.repeat} runs"
                else:
                    counted = require_rows(backing.owner_url, tenant.id, n * args.repeat, f"bulk {size}")
                verified.append(f"bulk {size} w{workers} {counted}")
                seconds, cpu_used = min(runs, key=lambda r: r[0])
                label = f"API bulk NDJSON, {size}/request, {args.bulk_clients} clients"
                if workers > 1:
                    label += f" (connections per worker: {', '.join(splits)})"
                bulk_rows.append(Row(label, n, seconds, cpu_used, workers, [n / s for s, _ in runs], paired))

            if args.skip_single:
                continue
            body = single_event_body()

            if args.warmup > 0:
                single_load(
                    tools[0],
                    server.base_url,
                    tenants[f"warmup-{workers}-{limit_mode}"].api_key,
                    body,
                    args,
                    workdir,
                    args.warmup,
                )
            for tool in tools:
                tenant = tenants[f"single-{workers}-{tool}-{limit_mode}"]
                wait_for_quiet(args.quiet_wait)
                profiler = Profiler(args.profile, server.pid, f"single-w{workers}-{tool}")
                cpu = CpuMeter({"api": server.pid})
                cpu.start()
                try:
                    result, split = single_load(
                        tool, server.base_url, tenant.api_key, body, args, workdir, args.duration
                    )
                finally:
                    cpu.stop()
                    profiler.stop()
                time.sleep(0.5)  # requests abandoned at the deadline may still commit
                stored = asyncio.run(count_rows(backing.owner_url, tenant.id))
                # 201 means committed: every answered request is stored; a few cut off at the end may be too.
                if not result.ok <= stored <= result.ok + result.errors + args.single_clients:
                    raise RuntimeError(f"single: {stored} rows stored for {result.ok} answered requests")
                verified.append(
                    f"single w{workers} {tool} rate limiting {limit_mode}: {stored} rows for {result.ok} x 201"
                )
                if len(limiting) > 1:
                    result.tool += f", rate limiting {limit_mode}"
                if workers > 1:
                    result.tool += f" (connections per worker: {split})"
                single.append((workers, result, cpu))
                log(
                    f"single (workers={workers}, {result.tool}): {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                    f"p99 {result.p99_ms:.1f} ms, errors {result.errors} [{cpu.describe()}]"
                )
        finally:
            server.stop()

    verified.insert(0, baseline.verify())
    copy_row = baseline.row()
    report = render(args, command, tools, copy_row, bulk_rows, single, verified, backing)
    print(report)
    if args.json:
        args.json.write_bytes(
            orjson.dumps(
                {
                    "command": command,
                    "copy": {
                        "events": copy_row.events,
                        "seconds": copy_row.seconds,
                        "rate": copy_row.rate,
                        "rates": copy_row.rates,
                        "cpu": copy_row.cpu.cores,
                    },
                    "bulk": [
                        {
                            "label": r.label,
                            "workers": r.workers,
                            "seconds": r.seconds,
                            "rate": r.rate,
                            "rates": r.rates,
                            "paired": r.paired,
                            "cpu": r.cpu.cores,
                        }
                        for r in bulk_rows
                    ],
                    "single": [{"workers": w, **r.__dict__, "rps": r.rps, "cpu": c.cores} for w, r, c in single],
                },
                option=orjson.OPT_INDENT_2,
            )
        )
    return 0


def render(
    args: argparse.Namespace,
    command: str,
    tools: list[str],
    copy_row: Row,
    bulk_rows: list[Row],
    single: list[tuple[int, LoadResult, CpuMeter]],
    verified: list[str],
    backing: Backing,
) -> str:
    def mark(ok: bool) -> str:
        return "meets target" if ok else "BELOW target"

    lines = [
        "## Ingest benchmark",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}; PostgreSQL {server_version(backing.owner_url)}"
        f" ({'DATABASE_URL' if os.environ.get('DATABASE_URL') else 'embedded'}).",
        "",
        f"API: `{args.factory}`" + "".join(f", {k}={v}" for k, v in args.api_env) + ".",
        "",
        f"Bulk: {copy_row.events} events per run, best of {args.repeat} runs per row; raw COPY runs right before"
        " every bulk run and its best run is the baseline (all runs listed). CPU: cores used during the best run (api = uvicorn process tree, client = this script or wrk, other = the rest of"
        " the machine).",
        "",
        "| Path | uvicorn workers | Events/s (best) | vs COPY | vs the COPY before it, per run (median)"
        " | Runs (events/s) | CPU µs/event api / pg / total | CPU (cores) |",
        "|---|---:|---:|---:|---|---|---|---|",
    ]
    for row in [copy_row, *bulk_rows]:
        runs = ", ".join(f"{rate:,.0f}" for rate in row.rates)
        paired = (
            ", ".join(f"{r:.2f}" for r in row.paired) + f" (**{statistics.median(row.paired):.2f}**)"
            if row.paired
            else "-"
        )
        lines.append(
            f"| {row.label} | {row.workers or '-'} | {row.rate:,.0f} | {row.rate / copy_row.rate:.2f} "
            f"| {paired} | {runs} | {row.cpu.cost(row.events)} | {row.cpu.describe()} |"
        )
    if bulk_rows:
        best = max(bulk_rows, key=lambda r: r.rate)
        ratio = best.rate / copy_row.rate
        lines += [
            "",
            f"Best bulk: {best.rate:,.0f} events/s ({best.label}, workers={best.workers}) = "
            f"**{ratio:.2f} x raw COPY** (target >= 0.60 with 2 workers, issue 15: {mark(ratio >= 0.6)}).",
        ]
        if best.paired:
            lines.append(
                f"Its runs against the COPY run right before each: median **{statistics.median(best.paired):.2f}**"
                f" (lowest {min(best.paired):.2f})."
            )
    if single:
        lines += [
            "",
            f"Single-event POST, {args.single_clients} concurrent connections, {args.duration:g} s, load generator: {' and '.join(tools)}.",
            "",
            "| uvicorn workers | Client | Requests (201) | Errors | Req/s | p50 ms | p90 ms | p99 ms | max ms"
            " | CPU µs/request api / pg / total | CPU (cores) |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for workers, r, cpu in single:
            lines.append(
                f"| {workers} | {r.tool} | {r.ok} | {r.errors} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p90_ms:.1f} "
                f"| {r.p99_ms:.1f} | {r.max_ms:.1f} | {cpu.cost(max(r.ok + r.errors, 1))} | {cpu.describe()} |"
            )
        best_workers, best_single, _ = max(single, key=lambda s: s[1].rps)
        lines += [
            "",
            f"Best single POST: {best_single.rps:,.0f} req/s ({best_single.tool}, workers={best_workers}), "
            f"p99 {best_single.p99_ms:.1f} ms "
            f"(target >= 1500 req/s with p99 < 50 ms: "
            f"{mark(best_single.rps >= 1500 and best_single.p99_ms < 50)}).",
        ]
    noisy = max([copy_row.cpu, *(r.cpu for r in bulk_rows), *(c for _, _, c in single)], key=lambda c: c.other)
    if noisy.other > 0.25:
        lines += [
            "",
            f"Warning: other processes used up to {noisy.other:.2f} cores during a timed phase; "
            "the figures of that phase are low. Run again on a quiet machine.",
        ]
    lines += ["", "Verified in the database: " + "; ".join(verified) + "."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
