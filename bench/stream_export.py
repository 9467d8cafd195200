#!/usr/bin/env python
"""Live stream and export benchmark: ingest -> WebSocket delivery latency, and streamed export throughput.

    python bench/stream_export.py [--clients 100] [--rates 200,500] [--duration 20] [--rows 1000000]

What it does, end to end, with nothing to set up:

1. PostgreSQL: a fresh database on `DATABASE_URL`'s server, else an embedded server in a temp dir;
   migrated to head. Redis: `REDIS_URL`, else an embedded redis-server (helpers of bench/ingest.py).
2. Two API processes (`python -m uvicorn --factory bench.app_factory:create_app`, uvloop, httptools,
   websockets-sansio, rate limiting off): A serves the WebSocket clients, B takes the ingest, so
   every event goes B -> PostgreSQL commit -> Redis PUBLISH -> A's subscriber -> each client.
   A tenant is created through the admin API (`LOGPLANE_ADMIN_TOKEN` set by this script).
3. Live stream: `--clients` WebSocket clients connect to A for the same tenant: `--client lean`
   (default: a hand-written handshake and frame reader on an asyncio Protocol, bench/stream_clients.py,
   lean the way wrk is for HTTP, so the clients' own CPU and loop lag do not dominate the latency)
   or `--client websockets` (`websockets.asyncio.client.connect`, no permessage-deflate unless
   `--ws-deflate`; the figures before 2 Dec 2026 21:00 UTC). A load generator in
   a child process posts `--batch` events per `POST /api/v1/logs/bulk` to B at a steady `--rates`
   events/s for `--warmup` + `--duration` s (warm-up not counted). Each event carries in its
   attributes `bt` = time.time() taken right before the request is written, and `bb` = its batch
   number; the generator also records when the 201 came back. Each client takes time.time() as a
   message arrives and extracts `bt`/`bb` with a regex (no JSON parsing), so latency is computed at
   the client: "from send" (the figure the target applies to) and "from 201" (receipt minus the
   time the ingest answer arrived, i.e. fan-out only). Latencies of all clients are pooled.
   When p99 misses `--target-ms`, the phase runs once more with py-spy on A (`--profile`).
4. Export: `--rows` rows loaded into `logs` for a second tenant with asyncpg `copy_records_to_table`
   as the database owner (bypassing the API and RLS), then VACUUM ANALYZE. Timed, interleaved,
   best of `--repeat`: raw `COPY (SELECT ...) TO STDOUT` with asyncpg `copy_from_query` into a sink
   that only counts bytes and newlines (plain `SELECT *`; the API's own row_to_json and CSV
   SELECTs with its ORDER BY, as the owner; the JSON one also as `logplane_app` under RLS, which is
   exactly what the API runs), and `GET /api/v1/logs/export?format=ndjson|csv` on A read end to end by
   a raw HTTP/1.1 client that decodes the chunked body and discards it (counting lines).

Everything (load generator, 100 clients, both APIs, PostgreSQL, Redis) shares the machine; the CPU
each used is reported per phase, read from /proc, with A's CPU and write syscalls per delivered message.
Changes to the stream can be A/B-tested against the same run's baseline: `--factory
bench.stream_ab_factory:create_app --api-env BENCH_STREAM_ENCODE_PER_CLIENT=1` (see that module).
The results file keeps a hand-written section starting with "## Analysis" across re-runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/stream_export.py`

from bench.harness import (
    COPY_COLUMNS,
    ROOT,
    ApiServer,
    Backing,
    CpuMeter,
    Profiler,
    Tenant,
    asyncpg_dsn,
    copy_tail,
    create_tenant,
    float_list,
    key_value,
    log,
    machine,
    make_events,
    script_setup,
    server_version,
    start_backing,
    summarize_profile,
    wait_for_quiet,
    write_keeping,
)
from bench.ingest import RawConnection, post_bytes
from bench.stream_clients import CLIENTS, LeanClient, WebsocketsClient
from src.entrypoints.http.ws_protocol import IMPORT_PATH as COALESCING_WEBSOCKETS

RESULTS = ROOT / "bench" / "results" / "stream_export.md"
HAND_NOTES = "## Analysis"  # a section of the results file from this heading on survives a re-run


# --------------------------------------------------------------------------------------------------
# CPU per component, from /proc
# --------------------------------------------------------------------------------------------------


def _write_syscalls(pid: int) -> int:
    """write-family syscalls (write, send, sendto, ...) the process has made so far."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------------------------------
# Live stream: load generator (child process) and WebSocket clients (this process)
# --------------------------------------------------------------------------------------------------

_BOILERPLATE = re.compile(r"click/|runpy|uvicorn/(main|server|__main__|_compat)\.py|asyncio/runners\.py")
Client = LeanClient | WebsocketsClient
CLIENT_LABELS = {
    "lean": "lean: hand-written handshake and frame reader on an asyncio Protocol, bench/stream_clients.py",
    "websockets": "`websockets.asyncio.client.connect`",
}


@dataclass
class LoadPlan:
    base_url: str
    api_key: str
    rate: float
    batch: int
    start_at: float  # time.time() of the first request
    warm_batches: int
    batches: int
    connections: int = 4


def _loadgen_child(plan: LoadPlan, pipe: Any) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    try:
        pipe.send(asyncio.run(_loadgen(plan)))
    except BaseException as e:
        pipe.send({"error": f"{type(e).__name__}: {e}"})
        raise


async def _loadgen(plan: LoadPlan) -> dict[str, Any]:
    """Post batch k at start_at + k * batch / rate; record send and 201 times per batch."""
    templates = make_events(2000, seed=7)
    for event in templates:
        event.pop("timestamp")  # stamped by the server at receipt: "now"
    sent = [0.0] * plan.batches
    answered = [0.0] * plan.batches
    statuses = [0] * plan.batches
    lateness = 0.0
    pool: asyncio.Queue[RawConnection] = asyncio.Queue()
    for connection in await RawConnection.open_many(plan.base_url, plan.connections, 0):
        pool.put_nowait(connection)
    dumps = orjson.dumps

    async def one(k: int) -> None:
        connection = await pool.get()
        try:
            first = (k * plan.batch) % len(templates)
            chosen = templates[first : first + plan.batch]
            t = time.time()
            body = b"".join(dumps({**e, "attributes": {"bt": t, "bb": k, **e["attributes"]}}) + b"\n" for e in chosen)
            sent[k] = t
            status, _ = await connection.request(
                post_bytes(plan.base_url, "/api/v1/logs/bulk", plan.api_key, "application/x-ndjson", body)
            )
            answered[k] = time.time()
            statuses[k] = status
        finally:
            pool.put_nowait(connection)

    tasks = []
    interval = plan.batch / plan.rate
    for k in range(plan.batches):
        delay = plan.start_at + k * interval - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lateness = max(lateness, -delay)
        tasks.append(asyncio.create_task(one(k)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    return {"sent": sent, "answered": answered, "statuses": statuses, "lateness": lateness}


class LoopLag:
    """How late this process's event loop wakes a 10 ms sleeper: large values mean the clients
    themselves (not the server) are saturated and add queueing to the measured latency."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(time.perf_counter() - before - 0.01)

    async def stop(self) -> dict[str, float]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return _percentiles(self.samples)


@dataclass
class StreamResult:
    rate: float
    batch: int
    clients: int
    seconds: float
    events_sent: int
    failed_requests: int
    deliveries_expected: int
    deliveries: int
    dropped: int
    from_send: dict[str, float]
    from_201: dict[str, float]
    ingest_ms: dict[str, float]
    lateness_ms: float
    cpu: CpuMeter
    connect_seconds: float
    client_lag_ms: dict[str, float]
    ws_writes: int
    profile: str | None = None


def _percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float]:
    if not values:
        return {k: float("nan") for k in ("p50", "p90", "p99", "p999", "max", "min")}
    values = sorted(values)
    n = len(values)

    def at(q: float) -> float:
        return values[min(n - 1, int(q * n))] * scale

    return {
        "min": values[0] * scale,
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "p999": at(0.999),
        "max": values[-1] * scale,
    }


async def _connect_clients(kind: str, ws_url: str, api_key: str, count: int, deflate: bool) -> list[Client]:
    connect = CLIENTS[kind].connect
    clients: list[Client] = []
    for start in range(0, count, 10):  # ten at a time: a burst of 100 handshakes is itself a load test
        clients += await asyncio.gather(*(connect(ws_url, api_key, deflate) for _ in range(min(10, count - start))))
    return clients


async def _admitted(clients: list[Client]) -> None:
    """Every client's stream is open (a ping answered): a refused one (the tenant's stream cap)
    closes after its handshake, and would silently shrink the fan-out being measured."""
    outcomes = await asyncio.gather(*(c.ping() for c in clients), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    if refused:
        raise RuntimeError(f"{len(refused)} of {len(clients)} stream clients were not admitted: {refused[0]!r}")


async def run_stream(
    args: argparse.Namespace,
    api_ws: ApiServer,
    api_ingest: ApiServer,
    tenant: Tenant,
    rate: float,
    duration: float,
    profile_dir: Path | None,
) -> StreamResult:
    ws_url = api_ws.base_url.replace("http://", "ws://") + "/api/v1/logs/stream"
    started = time.perf_counter()
    clients = await _connect_clients(args.client, ws_url, tenant.api_key, args.clients, args.ws_deflate)
    connect_seconds = time.perf_counter() - started
    await _admitted(clients)
    await asyncio.sleep(0.5)

    interval = args.batch / rate
    warm_batches = int(args.warmup / interval)
    batches = warm_batches + int(duration / interval)
    start_at = time.time() + 1.5
    plan = LoadPlan(api_ingest.base_url, tenant.api_key, rate, args.batch, start_at, warm_batches, batches)
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_loadgen_child, args=(plan, child), daemon=True)
    process.start()
    child.close()  # so that recv() fails instead of hanging if the generator dies without a word
    profiler: Profiler | None = None
    # The load generator apart from `clients` (this process): the clients' CPU per message is a figure of its own.
    cpu = CpuMeter(
        {"api-ws (A)": api_ws.pid, "api-ingest (B)": api_ingest.pid, "loadgen": process.pid or 0}, me="clients"
    )
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(max(start_at + args.warmup - time.time(), 0))
        if profile_dir is not None:
            profiler = await asyncio.to_thread(Profiler, profile_dir, api_ws.pid, f"stream-{rate:g}")
        cpu.start()
        writes = _write_syscalls(api_ws.pid)
        lag = LoopLag()
        lag.start()
        await asyncio.sleep(max(start_at + batches * interval - time.time(), 0))
        client_lag = await lag.stop()
        writes = _write_syscalls(api_ws.pid) - writes
        cpu.stop()
        if profiler is not None:
            await asyncio.to_thread(profiler.stop)
        result: dict[str, Any] = await loop.run_in_executor(None, parent.recv)
    finally:
        await asyncio.to_thread(process.join, 30)
        if process.is_alive():
            process.kill()
    if "error" in result:
        raise RuntimeError(f"load generator failed: {result['error']}")

    ok = [s == 201 for s in result["statuses"]]
    expected_each = sum(ok) * args.batch
    for c in clients:
        c.expect(expected_each)
    waiters = [asyncio.create_task(c.done.wait()) for c in clients]
    await asyncio.wait(waiters, timeout=10)
    for waiter in waiters:
        waiter.cancel()
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    sent, answered = result["sent"], result["answered"]
    from_send: list[float] = []
    from_201: list[float] = []
    for c in clients:
        for lat, b in zip(c.latency, c.batch, strict=True):
            if b >= warm_batches and ok[b]:
                from_send.append(lat)
                from_201.append(lat + sent[b] - answered[b])
    measured = [k for k in range(warm_batches, batches) if ok[k]]
    summary = None
    if profile_dir is not None and (profile_dir / f"stream-{rate:g}.txt").exists():
        # Inclusive shares without the frames every sample has (uvicorn's main, the event loop runner).
        text = summarize_profile(profile_dir / f"stream-{rate:g}.txt")
        own, _, inclusive = text.partition("incl%   function")
        kept = [line for line in inclusive.splitlines() if line.strip() and not _BOILERPLATE.search(line)]
        summary = own + "incl%   function (without uvicorn's main and the loop runner)\n" + "\n".join(kept[:25])
    return StreamResult(
        rate=rate,
        batch=args.batch,
        clients=args.clients,
        seconds=duration,
        events_sent=len(measured) * args.batch,
        failed_requests=len(ok) - sum(ok),
        deliveries_expected=len(measured) * args.batch * len(clients),
        deliveries=len(from_send),
        dropped=sum(c.dropped for c in clients),
        from_send=_percentiles(from_send),
        from_201=_percentiles(from_201),
        ingest_ms=_percentiles([answered[k] - sent[k] for k in measured]),
        lateness_ms=result["lateness"] * 1000,
        cpu=cpu,
        connect_seconds=connect_seconds,
        client_lag_ms=client_lag,
        ws_writes=writes,
        profile=summary,
    )


# --------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------


async def load_rows(owner_url: str, tenant_id: uuid.UUID, rows: int) -> float:
    """COPY `rows` realistic events into `logs` as the owner; timestamps over the last six hours."""
    from src.domain.ids import new_id

    templates = make_events(5000, seed=11)
    parts = [copy_tail(e) for e in templates]
    now = datetime.now(UTC)
    first = now - timedelta(hours=6)
    step = timedelta(hours=6) / max(rows, 1)
    records = ((new_id(), tenant_id, first + i * step, now, *parts[i % len(parts)]) for i in range(rows))
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table("logs", records=records, columns=COPY_COLUMNS)
        elapsed = time.perf_counter() - started
        await conn.execute("VACUUM (ANALYZE) logs")
        return elapsed
    finally:
        await conn.close()


@dataclass
class Transfer:
    seconds: float
    bytes: int
    lines: int
    cpu: CpuMeter


@dataclass
class ExportRow:
    label: str
    kind: str  # "raw" or "api"
    runs: list[Transfer] = field(default_factory=list)

    @property
    def best(self) -> Transfer:
        return min(self.runs, key=lambda r: r.seconds)


async def raw_copy(
    owner_url: str,
    sql: str,
    args: list[Any],
    options: dict[str, Any],
    *,
    tenant_id: uuid.UUID,
    as_app: bool,
    roots: dict[str, int],
) -> Transfer:
    settings = {"timezone": "UTC", **({"role": "logplane_app"} if as_app else {})}
    conn = await asyncpg.connect(asyncpg_dsn(owner_url), server_settings=settings)
    size = lines = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size, lines
        size += len(chunk)
        lines += chunk.count(b"\n")

    try:
        async with conn.transaction():
            if as_app:
                await conn.execute("SELECT set_config('logplane.tenant_id', $1, true)", str(tenant_id))
            cpu = CpuMeter(roots, me="bench")
            cpu.start()
            started = time.perf_counter()
            await conn.copy_from_query(sql, *args, output=sink, **options)
            elapsed = time.perf_counter() - started
            cpu.stop()
    finally:
        await conn.close()
    return Transfer(elapsed, size, lines, cpu)


async def api_export(base_url: str, api_key: str, query: str, roots: dict[str, int]) -> Transfer:
    """GET the export over one raw HTTP/1.1 connection, decode the chunked body, count and discard it."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=2**20)
    request = (
        f"GET /api/v1/logs/export?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {api_key}\r\nConnection: close\r\n\r\n"
    ).encode()
    size = lines = 0
    cpu = CpuMeter(roots, me="bench")
    try:
        cpu.start()
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if head[9:12] != b"200":
            raise RuntimeError(f"export {query}: {head[:200]!r} {await reader.read(500)!r}")
        if b"chunked" not in head.lower():
            raise RuntimeError(f"export {query}: expected a chunked response, got {head!r}")
        while True:
            size_line = await reader.readuntil(b"\r\n")
            length = int(size_line.split(b";")[0], 16)
            if length == 0:
                await reader.readuntil(b"\r\n")
                break
            chunk = await reader.readexactly(length + 2)
            size += length
            lines += chunk.count(b"\n", 0, length)
        elapsed = time.perf_counter() - started
        cpu.stop()
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return Transfer(elapsed, size, lines, cpu)


async def run_exports(
    args: argparse.Namespace, backing: Backing, api: ApiServer, tenant: Tenant
) -> tuple[list[ExportRow], float]:
    from src.adapters.postgres.export_copy import CSV_OPTIONS, RAW_LINE_OPTIONS, csv_lines_select, json_lines_select

    log(f"export: loading {args.rows:,} rows with asyncpg COPY as the owner")
    load_seconds = await load_rows(backing.owner_url, tenant.id, args.rows)
    log(f"export: loaded in {load_seconds:.1f} s ({args.rows / load_seconds:,.0f} rows/s), VACUUM ANALYZE done")
    mine = "tenant_id = $1"
    tid = [tenant.id]
    roots = {"api": api.pid}
    plans: list[tuple[ExportRow, Any]] = []

    def raw(label: str, sql: str, options: dict[str, Any], as_app: bool = False) -> None:
        plans.append(
            (
                ExportRow(label, "raw"),
                lambda: raw_copy(backing.owner_url, sql, tid, options, tenant_id=tenant.id, as_app=as_app, roots=roots),
            )
        )

    def via_api(label: str, query: str) -> None:
        plans.append((ExportRow(label, "api"), lambda: api_export(api.base_url, tenant.api_key, query, roots)))

    raw("raw COPY (SELECT * ... WHERE tenant_id) TO STDOUT, text, owner", f"SELECT * FROM logs WHERE {mine}", {})
    ndjson_select = json_lines_select(mine, "DESC")  # the export's default order (newest first)
    raw("raw COPY of the API's NDJSON SELECT (row_to_json, ORDER BY), owner", ndjson_select, RAW_LINE_OPTIONS)
    raw(
        "raw COPY of the API's NDJSON SELECT, as logplane_app under RLS (= the API's query)",
        ndjson_select,
        RAW_LINE_OPTIONS,
        as_app=True,
    )
    via_api("API GET /api/v1/logs/export?format=ndjson", "format=ndjson")
    raw("raw COPY of the API's CSV SELECT (ORDER BY), owner", csv_lines_select(mine, "DESC"), CSV_OPTIONS)
    via_api("API GET /api/v1/logs/export?format=csv", "format=csv")

    # Warm the API's connection pool and code paths with an empty export.
    await api_export(api.base_url, tenant.api_key, "format=ndjson&service=none", roots)
    for attempt in range(args.repeat):
        await asyncio.to_thread(wait_for_quiet, args.quiet_wait)  # once per round: keeps the run short
        for row, run in plans:
            transfer = await run()
            row.runs.append(transfer)
            log(
                f"export {attempt + 1}/{args.repeat}: {row.label}: {transfer.lines:,} lines, "
                f"{transfer.bytes / 2**20:,.0f} MiB in {transfer.seconds:.2f} s = {args.rows / transfer.seconds:,.0f} rows/s "
                f"[{transfer.cpu.describe()}]"
            )
    for row, _ in plans:
        want = args.rows + 1 if "csv" in row.label.lower() else args.rows  # CSV has a header line
        for transfer in row.runs:
            if transfer.lines != want:
                raise RuntimeError(f"{row.label}: {transfer.lines} lines, expected {want}")
    return [row for row, _ in plans], load_seconds


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def render(
    args: argparse.Namespace,
    command: str,
    backing: Backing,
    streams: list[StreamResult],
    profiled: list[StreamResult],
    exports: list[ExportRow],
    load_seconds: float,
) -> str:
    def mark(ok: bool) -> str:
        return "meets target" if ok else "**MISSES target**"

    db = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"
    lines = [
        "# Live stream and export benchmark",
        "",
        f"Command: `{command}`",
        "",
        f"Run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Machine: {machine()}; "
        f"PostgreSQL {server_version(backing.owner_url)} ({db}); Redis "
        f"{'REDIS_URL' if os.environ.get('REDIS_URL') else 'embedded redis-server'}.",
        "",
        f"API: two uvicorn processes of `{args.factory}` (1 worker each, uvloop, httptools, WebSocket "
        f"protocol `{args.ws}`, rate limiting off)"
        + "".join(f", {k}={v}" for k, v in args.api_env)
        + ". A serves the WebSocket clients and the exports, B takes the ingest, so each event goes "
        "B -> PostgreSQL commit -> Redis PUBLISH -> A -> client.",
        "",
        "## Ingest -> WebSocket delivery",
        "",
        f"{args.clients} clients ({CLIENT_LABELS[args.client]}, "
        f"{'permessage-deflate' if args.ws_deflate else 'no compression'}, one tenant, no filter) on A; "
        f"`POST /api/v1/logs/bulk` of {args.batch} events to B at a steady rate from a child process; "
        f"{args.warmup:g} s warm-up not counted. Latency = client's time.time() at receipt - `bt`, the "
        "load generator's time.time() as it built and wrote the request (**from send**: includes the "
        "group commit); **from 201** = receipt - the time the 201 came back (Redis fan-out and WebSocket "
        "delivery only; the API publishes after it answers, so this can be slightly negative). "
        "Pooled over all clients and events.",
        "",
        "| events/s | batch | clients | measured s | events | deliveries (got/expected) | dropped | "
        "from send p50 / p90 / p99 / p99.9 / max ms | from 201 p50 / p99 ms | ingest 201 p50 / p99 ms | CPU (cores) |",
        "|---:|---:|---:|---:|---:|---|---:|---|---|---|---|",
    ]
    for r in streams:
        s, f, i = r.from_send, r.from_201, r.ingest_ms
        lines.append(
            f"| {r.rate:g} | {r.batch} | {r.clients} | {r.seconds:g} | {r.events_sent:,} | "
            f"{r.deliveries:,} / {r.deliveries_expected:,} | {r.dropped:,} | "
            f"{s['p50']:.1f} / {s['p90']:.1f} / **{s['p99']:.1f}** / {s['p999']:.1f} / {s['max']:.1f} | "
            f"{f['p50']:.1f} / {f['p99']:.1f} | {i['p50']:.1f} / {i['p99']:.1f} | {r.cpu.describe()} |"
        )
    lines.append("")
    for r in streams:
        lines.append(
            f"- {r.rate:g} events/s: p99 from send {r.from_send['p99']:.1f} ms "
            f"(target < {args.target_ms:g} ms: {mark(r.from_send['p99'] < args.target_ms)}); "
            f"{r.failed_requests} failed ingest requests; load generator at most {r.lateness_ms:.1f} ms late; "
            f"{r.clients} clients connected in {r.connect_seconds:.1f} s; the clients' event loop woke a "
            f"10 ms sleeper late by p50 {r.client_lag_ms['p50']:.1f} / p99 {r.client_lag_ms['p99']:.1f} / "
            f"max {r.client_lag_ms['max']:.1f} ms; share of CPU time spent in the kernel: {r.cpu.kernel_shares()}."
        )
        if r.deliveries:
            a_us = r.cpu.cores.get("api-ws (A)", 0.0) * r.seconds / r.deliveries * 1e6
            c_us = r.cpu.cores.get("clients", 0.0) * r.seconds / r.deliveries * 1e6
            g_us = r.cpu.cores.get("loadgen", 0.0) * r.seconds / r.deliveries * 1e6
            lines.append(
                f"  CPU per delivered message: A {a_us:.1f} µs (one core would carry ~{1e6 / a_us:,.0f} "
                f"messages/s, i.e. {1e6 / a_us / r.clients:,.0f} events/s to {r.clients} clients), clients "
                f"{c_us:.1f} µs, load generator {g_us:.1f} µs; offered {r.rate * r.clients:,.0f} messages/s; A made "
                f"{r.ws_writes / r.deliveries:.2f} write syscalls per delivered message (/proc/PID/io syscw)."
            )
    lines += [
        "",
        "CPU: cores used during the measured window (A = WebSocket API, B = ingest API, clients = this "
        f"script's {args.clients} clients ({args.client}), loadgen = the ingest load generator, other = the rest of the machine). "
        "The clients only regex out two numbers per message (no JSON parsing), yet they share the "
        "two cores with the servers, so client-side queueing is part of every figure.",
    ]
    for r in profiled:
        lines += [
            "",
            f"### py-spy on A during a {r.seconds:g} s re-run at {r.rate:g} events/s",
            "",
            f"(with py-spy attached: p50 {r.from_send['p50']:.1f} ms, p99 {r.from_send['p99']:.1f} ms, "
            f"dropped {r.dropped:,}; CPU {r.cpu.describe()})",
            "",
            "```",
            (r.profile or "no profile written").strip(),
            "```",
        ]

    if exports:
        ndjson_raw = next(r for r in exports if r.kind == "raw" and "NDJSON SELECT" in r.label and "RLS" not in r.label)
        plain = exports[0]
        csv_raw = next(r for r in exports if r.kind == "raw" and "CSV" in r.label)
        lines += [
            "",
            "## Export",
            "",
            f"{args.rows:,} rows loaded into `logs` for one tenant with asyncpg `copy_records_to_table` as the "
            f"database owner (not through the API; {args.rows / load_seconds:,.0f} rows/s), then VACUUM ANALYZE. "
            f"Runs interleaved, best of {args.repeat}. Raw = asyncpg `copy_from_query` into a sink that only "
            "counts bytes and newlines, on a connection opened before the clock starts. API = `GET "
            "/api/v1/logs/export` (newest first, the default) on A, read by a raw HTTP/1.1 client that decodes "
            "the chunked body and discards it; timed from writing the request to the last chunk.",
            "",
            "| Path | rows/s (best) | MiB | MiB/s | s (best) | runs (s) | API / raw same SELECT | API / raw SELECT * | CPU (cores, best run) |",
            "|---|---:|---:|---:|---:|---|---:|---:|---|",
        ]
        for row in exports:
            b = row.best
            same = ""
            vs_plain = ""
            if row.kind == "api":
                base = csv_raw if "csv" in row.label else ndjson_raw
                same = f"**{base.best.seconds / b.seconds:.2f}**"
                vs_plain = f"{plain.best.seconds / b.seconds:.2f}"
            lines.append(
                f"| {row.label} | {args.rows / b.seconds:,.0f} | {b.bytes / 2**20:,.0f} | "
                f"{b.bytes / 2**20 / b.seconds:,.0f} | {b.seconds:.2f} | "
                f"{', '.join(f'{t.seconds:.2f}' for t in row.runs)} | {same} | {vs_plain} | {b.cpu.describe()} |"
            )
        lines.append("")
        for row in exports:
            if row.kind != "api":
                continue
            base = csv_raw if "csv" in row.label else ndjson_raw
            ratio = base.best.seconds / row.best.seconds
            lines.append(
                f"- {row.label}: {args.rows / row.best.seconds:,.0f} rows/s = {ratio:.2f} x the raw COPY of the "
                f"same SELECT, {plain.best.seconds / row.best.seconds:.2f} x raw `SELECT *` "
                f"(target >= 0.3: {mark(min(ratio, plain.best.seconds / row.best.seconds) >= 0.3)})."
            )
        lines += [
            "",
            "CPU: api = A, bench = this script (the reading client, or the raw COPY's sink). "
            "Raw text `SELECT *` has no ORDER BY and no per-row JSON/CSV encoding: it is the floor of "
            "what leaving PostgreSQL costs; the same-SELECT rows isolate what the API process adds.",
        ]
    return "\n".join(lines)


def write_results(report: str) -> None:
    write_keeping(RESULTS, report, "\n" + HAND_NOTES)


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=100, help="WebSocket clients")
    p.add_argument("--rates", type=float_list, default=[200.0, 500.0], help="ingest rates in events/s, comma-separated")
    p.add_argument("--batch", type=int, default=10, help="events per bulk request")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per rate")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of uncounted ingest before each measurement")
    p.add_argument("--target-ms", type=float, default=100.0, help="p99 target; a miss triggers a profiled re-run")
    p.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="py-spy on the WebSocket API in a re-run: when p99 misses the target (auto), always, never",
    )
    p.add_argument("--profile-duration", type=float, default=10.0, help="measured seconds of the profiled re-run")
    p.add_argument("--ws-deflate", action="store_true", help="let the clients offer permessage-deflate")
    p.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="lean",
        help="WebSocket client: lean (a hand-written frame reader on an asyncio Protocol, default) or "
        "websockets (websockets.asyncio.client, as figures before 2 Dec 2026 21:00 UTC were measured)",
    )
    p.add_argument(
        "--ws",
        default=COALESCING_WEBSOCKETS,
        help="uvicorn WebSocket protocol of both APIs: the one `logplane api` serves (default; one write "
        "per connection per loop turn) or e.g. websockets-sansio (uvicorn's: one write per frame)",
    )
    p.add_argument("--rows", type=int, default=1_000_000, help="rows to load and export (0 skips the export phase)")
    p.add_argument("--repeat", type=int, default=2, help="runs per export path; the best counts")
    p.add_argument("--skip-stream", action="store_true", help="export phase only")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=10.0,
        help="max seconds to wait for a quiet machine before each stream run and export round",
    )
    p.add_argument("--factory", default="bench.app_factory:create_app", help="uvicorn app factory for both APIs")
    p.add_argument("--api-env", type=key_value, action="append", default=[], help="NAME=VALUE for both API processes")
    p.add_argument("--out", type=Path, default=RESULTS, help="markdown results file")
    p.add_argument("--workdir", type=Path, default=None, help="keep logs and profiles here (default: a temp dir)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    script_setup()
    command = " ".join(["python bench/stream_export.py", *(sys.argv[1:] if argv is None else argv)])
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="logplane-bench-stream-"))
    workdir.mkdir(parents=True, exist_ok=True)
    backing: Backing | None = None
    servers: list[ApiServer] = []
    began = time.perf_counter()
    try:
        log(f"workdir {workdir}")
        backing = start_backing(workdir)
        for name in ("a", "b"):
            servers.append(
                ApiServer(
                    backing,
                    workers=1,
                    log_path=workdir / f"api-{name}.log",
                    factory=args.factory,
                    # The per-tenant stream cap (50 by default) must not refuse the benchmark's
                    # own clients: every one of them is one tenant's stream.
                    extra_env={"LOGPLANE_API_STREAM_MAX_PER_TENANT": str(args.clients + 10), **dict(args.api_env)},
                    ws_protocol=args.ws,
                )
            )
        for server in servers:
            server.wait_ready()
        api_ws, api_ingest = servers
        log(
            f"API A (WebSocket, export) {api_ws.base_url} pid {api_ws.pid}; API B (ingest) {api_ingest.base_url} pid {api_ingest.pid}"
        )
        suffix = uuid.uuid4().hex[:6]
        stream_tenant = asyncio.run(create_tenant(api_ws.base_url, f"bench-stream-{suffix}"))
        export_tenant = asyncio.run(create_tenant(api_ws.base_url, f"bench-export-{suffix}"))

        streams: list[StreamResult] = []
        profiled: list[StreamResult] = []
        if not args.skip_stream:
            for rate in args.rates:
                wait_for_quiet(args.quiet_wait)
                result = asyncio.run(run_stream(args, api_ws, api_ingest, stream_tenant, rate, args.duration, None))
                streams.append(result)
                log(
                    f"stream {rate:g} events/s: from send p50 {result.from_send['p50']:.1f} ms, p99 "
                    f"{result.from_send['p99']:.1f} ms, max {result.from_send['max']:.1f} ms; from 201 p99 "
                    f"{result.from_201['p99']:.1f} ms; {result.deliveries:,}/{result.deliveries_expected:,} delivered, "
                    f"{result.dropped} dropped; client loop lag p99 {result.client_lag_ms['p99']:.1f} ms "
                    f"[{result.cpu.describe()}]"
                )
            missed = [r for r in streams if r.from_send["p99"] >= args.target_ms]
            to_profile = streams if args.profile == "always" else missed if args.profile == "auto" else []
            if to_profile:
                worst = min(to_profile, key=lambda r: r.rate)  # the lowest rate that misses: no overload noise
                if shutil.which("py-spy") or Path(sys.executable).with_name("py-spy").exists():
                    profile_dir = workdir / "profiles"
                    profile_dir.mkdir(exist_ok=True)
                    wait_for_quiet(args.quiet_wait)
                    log(
                        f"profiling A with py-spy during a {args.profile_duration:g} s re-run at {worst.rate:g} events/s"
                    )
                    profiled.append(
                        asyncio.run(
                            run_stream(
                                args,
                                api_ws,
                                api_ingest,
                                stream_tenant,
                                worst.rate,
                                args.profile_duration,
                                profile_dir,
                            )
                        )
                    )
                else:
                    log("py-spy not found (pip install py-spy into the venv): no profile")

        exports: list[ExportRow] = []
        load_seconds = 0.0
        if args.rows > 0:
            exports, load_seconds = asyncio.run(run_exports(args, backing, api_ws, export_tenant))

        report = render(args, command, backing, streams, profiled, exports, load_seconds)
        report += f"\n\nWhole run: {time.perf_counter() - began:.0f} s.\n"
        print(report)
        if args.out == RESULTS:
            write_results(report)
        else:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(report)
        log(f"results written to {args.out}")
        return 0
    finally:
        for server in servers:
            server.stop()
        if backing is not None:
            backing.close()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
