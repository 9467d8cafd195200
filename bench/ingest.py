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
4. Bulk API: the same N events as NDJSON bodies (serialised before the clock starts) posted to
   `POST /api/v1/logs/bulk` by a few concurrent keep-alive clients, once per batch size.
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
import contextlib
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
ADMIN_TOKEN = "bench-admin-token-" + "a" * 40
JWT_SECRET = "bench-jwt-secret-" + "b" * 48
COPY_COLUMNS = (
    "id",
    "tenant_id",
    "timestamp",
    "received_at",
    "severity",
    "service",
    "message",
    "host",
    "user_id",
    "action",
    "trace_id",
    "span_id",
    "attributes",
    "client_id",
)
SEVERITY_NUMBERS = {"debug": 5, "info": 9, "warn": 13, "error": 17}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Realistic events
# --------------------------------------------------------------------------------------------------

SERVICES = ("api-gateway", "auth", "billing", "checkout", "search", "inventory", "notifications", "worker")
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
PATHS = ("/api/v1/orders", "/api/v1/cart", "/api/v1/users/me", "/api/v1/search", "/api/v1/payments")
TABLES = ("orders", "order_items", "customers", "invoices", "shipments")


def _message(rng: random.Random, service: str, user: str) -> tuple[str, str, dict[str, Any]]:
    """(severity, message, attributes); messages land between ~100 and ~200 characters."""
    kind = rng.randrange(6)
    ms = round(rng.lognormvariate(3, 1), 1)
    if kind == 0:
        status = rng.choices((200, 201, 204, 400, 404, 500), (70, 8, 5, 7, 6, 4))[0]
        path = f"{rng.choice(PATHS)}/{rng.randrange(10**6)}"
        sev = "error" if status >= 500 else "warn" if status >= 400 else "info"
        msg = (
            f"{rng.choice(('GET', 'POST', 'PUT'))} {path} completed with status {status} in {ms} ms "
            f"(user={user}, region={rng.choice(REGIONS)}, cache={rng.choice(('hit', 'miss'))}, "
            f"bytes={rng.randrange(200, 90000)})"
        )
        attrs: dict[str, Any] = {"http": {"method": "GET", "status": status, "path": path}, "duration_ms": ms}
    elif kind == 1:
        outcome = rng.choices(("approved", "declined"), (9, 1))[0]
        sev = "warn" if outcome == "declined" else "info"
        msg = (
            f"payment authorization {outcome} for order ord_{rng.randrange(10**8):08d} amount="
            f"{rng.randrange(100, 99999) / 100:.2f} EUR provider={rng.choice(('stripe', 'adyen'))} "
            f"attempt={rng.randrange(1, 4)} latency_ms={ms}"
        )
        attrs = {"order_total": rng.randrange(100, 99999), "currency": "EUR", "provider_latency_ms": ms}
    elif kind == 2:
        sev = "debug"
        msg = (
            f"worker w-{rng.randrange(16)} picked job job_{uuid.UUID(int=rng.getrandbits(128)).hex[:12]} from "
            f"queue {rng.choice(('emails', 'exports', 'reindex'))} after waiting {ms} ms; "
            f"{rng.randrange(500)} jobs still pending"
        )
        attrs = {"queue_depth": rng.randrange(500), "wait_ms": ms}
    elif kind == 3:
        sev = "warn"
        table = rng.choice(TABLES)
        msg = (
            f"database query exceeded slow threshold: {ms * 10:.1f} ms for SELECT on table {table} "
            f"(rows={rng.randrange(1, 50000)}, plan=index scan on {table}_pkey)"
        )
        attrs = {"db": {"table": table, "rows": rng.randrange(1, 50000)}, "duration_ms": ms * 10}
    elif kind == 4:
        sev = "info"
        msg = (
            f"user {user} signed in from 10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)} "
            f"using {rng.choice(('password', 'sso', 'passkey'))}; session expires in 3600 s, "
            f"mfa={rng.choice(('true', 'false'))}"
        )
        attrs = {"auth_method": "sso", "mfa": rng.random() < 0.5}
    else:
        sev = "error"
        upstream = rng.choice(SERVICES)
        msg = (
            f"upstream {upstream} returned 503 Service Unavailable; retrying in {int(ms) * 10} ms "
            f"(attempt {rng.randrange(1, 5)} of 5, circuit={rng.choice(('closed', 'half-open'))}, caller={service})"
        )
        attrs = {"upstream": upstream, "attempt": rng.randrange(1, 5), "retry_in_ms": int(ms) * 10}
    attrs["region"] = rng.choice(REGIONS)
    return sev, msg, attrs


def make_events(n: int, *, seed: int = 42) -> list[dict[str, Any]]:
    """N events as a client would send them, timestamps spread over today (UTC) until a minute ago."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = max((now - midnight).total_seconds() - 60, 1.0)
    hosts = [f"ip-10-0-{i // 8}-{i % 8 + 10}" for i in range(24)]
    events = []
    for _ in range(n):
        service = rng.choice(SERVICES)
        user = f"u_{rng.randrange(50000):05d}"
        severity, message, attributes = _message(rng, service, user)
        event: dict[str, Any] = {
            "timestamp": (midnight + timedelta(seconds=rng.random() * span)).isoformat(),
            "severity": severity,
            "service": service,
            "host": rng.choice(hosts),
            "message": message,
            "attributes": attributes,
        }
        if rng.random() < 0.6:
            event["user_id"] = user
            event["trace_id"] = f"{rng.getrandbits(128):032x}"
            event["span_id"] = f"{rng.getrandbits(64):016x}"
        events.append(event)
    return events


def copy_records(events: list[dict[str, Any]], tenant_id: uuid.UUID) -> list[tuple[Any, ...]]:
    from src.domain.ids import new_id

    received = datetime.now(UTC)
    return [
        (
            new_id(),
            tenant_id,
            datetime.fromisoformat(e["timestamp"]),
            received,
            SEVERITY_NUMBERS[e["severity"]],
            e["service"],
            e["message"],
            e["host"],
            e.get("user_id"),
            None,
            e.get("trace_id"),
            e.get("span_id"),
            orjson.dumps(e["attributes"]).decode(),
            None,
        )
        for e in events
    ]


# --------------------------------------------------------------------------------------------------
# CPU accounting from /proc: who used the two cores during a phase
# --------------------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, float]]:
    """pid -> (comm, ppid, cpu seconds so far)."""
    out: dict[int, tuple[str, int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(entry)] = (comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    return out


def _machine_busy() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / _TICK  # minus idle and iowait


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_OURS = ("api", "postgres", "redis", "client")


@dataclass
class CpuWindow:
    """CPU seconds per component between `start()` and `stop()`, as cores used (CPU s / wall s)."""

    api_root: int | None
    cores: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        self._procs = _processes()
        self._busy = _machine_busy()
        self._self = _self_cpu()
        self._children = _children_cpu()
        self._wall = time.perf_counter()

    def stop(self) -> None:
        wall = self.wall = time.perf_counter() - self._wall
        end = _processes()
        api_pids = self._tree(end, self.api_root) if self.api_root else set()
        used: Counter[str] = Counter()
        for pid, (comm, _, cpu) in end.items():
            delta = cpu - self._procs[pid][2] if pid in self._procs else cpu
            if pid in api_pids:
                used["api"] += delta
            elif comm == "postgres":
                used["postgres"] += delta
            elif comm.startswith("redis-server"):
                used["redis"] += delta
            elif comm in ("wrk", "py-spy"):
                used["client"] += delta
        # This process (the load generator) and reaped children (wrk, py-spy) that already exited.
        used["client"] += (_self_cpu() - self._self) + (_children_cpu() - self._children)
        busy = _machine_busy() - self._busy
        used["other"] = max(busy - sum(used.values()), 0.0)
        self.cores = {k: v / wall for k, v in used.items()}
        self.cores["idle"] = max((os.cpu_count() or 1) - busy / wall, 0.0)

    @staticmethod
    def _tree(procs: dict[int, tuple[str, int, float]], root: int) -> set[int]:
        pids = {root}
        grew = True
        while grew:
            grew = False
            for pid, (_, ppid, _) in procs.items():
                if ppid in pids and pid not in pids:
                    pids.add(pid)
                    grew = True
        return pids

    @property
    def other(self) -> float:
        return self.cores.get("other", 0.0)

    def micros_per(self, items: int, *parts: str) -> float:
        """CPU microseconds per item spent by `parts`: robust to other load, unlike a rate."""
        return sum(self.cores.get(p, 0.0) for p in parts) * self.wall / items * 1e6

    def cost(self, items: int) -> str:
        """`api / postgres / all of ours` CPU microseconds per item."""
        api, pg = self.micros_per(items, "api"), self.micros_per(items, "postgres")
        return f"{api:.0f} / {pg:.0f} / {self.micros_per(items, *_OURS):.0f}"

    def describe(self) -> str:
        order = ("api", "postgres", "client", "redis", "other", "idle")
        return ", ".join(f"{k} {self.cores.get(k, 0.0):.2f}" for k in order)


def wait_for_quiet(max_wait: float, threshold: float = 0.25) -> None:
    """On a shared machine, start a timed phase only once the rest of the machine is near idle.

    Samples the whole machine's busy time for 0.5 s while the benchmark itself is idle; gives up
    (and says so) after `max_wait` seconds, so a machine that is never quiet still gets measured.
    """
    deadline = time.monotonic() + max_wait
    while True:
        busy, started = _machine_busy(), time.perf_counter()
        time.sleep(0.5)
        load = (_machine_busy() - busy) / (time.perf_counter() - started)
        if load <= threshold:
            return
        if time.monotonic() >= deadline:
            log(f"machine still busy ({load:.2f} cores used by others); measuring anyway")
            return


# --------------------------------------------------------------------------------------------------
# Backing services and the API subprocess
# --------------------------------------------------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class Backing:
    owner_url: str
    redis_url: str
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as e:
                log(f"cleanup failed: {type(e).__name__}: {e}")


def start_backing(workdir: Path) -> Backing:
    from src.adapters.postgres.migrate import upgrade

    cleanups: list[Callable[[], None]] = []
    external = os.environ.get("DATABASE_URL")
    if external:
        server = asyncpg_dsn(external.replace("postgres://", "postgresql://", 1))
        name = f"logplane_bench_{uuid.uuid4().hex[:8]}"

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(server)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        cleanups.append(lambda: asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
        base, _, rest = server.partition("?")
        base = base.rsplit("/", 1)[0]
        owner_url = f"{base}/{name}" + (f"?{rest}" if rest else "")
        owner_url = owner_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        log(f"postgres: database {name} on DATABASE_URL's server")
    else:
        from src.adapters.embedded.postgres import start_postgres

        service = start_postgres(workdir / "pg" / "data")
        cleanups.append(service.stop)
        owner_url = service.url
        log(f"postgres: embedded, {owner_url}")
    try:
        upgrade(owner_url)
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            from src.adapters.embedded.redis import start_redis

            redis = start_redis()
            cleanups.append(redis.stop)
            redis_url = redis.url
        log(f"redis: {redis_url}")
    except BaseException:
        Backing(owner_url, "", cleanups).close()
        raise
    return Backing(owner_url, redis_url, cleanups)


def _die_with_parent() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class ApiServer:
    """The real API under uvicorn, as a child process; `stop()` sends SIGTERM (graceful drain)."""

    def __init__(
        self, backing: Backing, *, workers: int, log_path: Path, factory: str, extra_env: dict[str, str]
    ) -> None:
        self.port = free_port()
        self.workers = workers
        self.base_url = f"http://{HOST}:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "LOGPLANE_ENV": "bench",
            "LOGPLANE_DATABASE_URL": backing.owner_url,
            "LOGPLANE_REDIS_URL": backing.redis_url,
            "LOGPLANE_ADMIN_TOKEN": ADMIN_TOKEN,
            "LOGPLANE_JWT_SECRET": JWT_SECRET,
            "LOGPLANE_RATE_LIMIT_ENABLED": "false",
        }
        env.update(extra_env)
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ]
        if workers > 1:
            args += ["--workers", str(workers)]
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client(base_url=self.base_url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"uvicorn exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    response = client.get("/health/ready")
                    if response.status_code == 200:
                        return
                    last = response.text
                except httpx.HTTPError as e:
                    last = repr(e)
                time.sleep(0.2)
        raise RuntimeError(f"API not ready within {timeout:g} s: {last}\n{self.tail()}")

    def tail(self, limit: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_bytes()[-limit:].decode(errors="replace")
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# --------------------------------------------------------------------------------------------------
# Profiling (optional)
# --------------------------------------------------------------------------------------------------


class Profiler:
    """py-spy on the API process tree for the length of a phase; writes collapsed stacks."""

    def __init__(self, out_dir: Path | None, pid: int, name: str) -> None:
        self.out = out_dir / f"{name}.txt" if out_dir else None
        self.proc: subprocess.Popen[bytes] | None = None
        if self.out is None:
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        options = ["--subprocesses", "--rate", "100", "--nonblocking", "--format", "raw", "--duration", "600"]
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(pid), *options, "--output", str(self.out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # let it attach

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.out and self.out.exists():
            print(summarize_profile(self.out), file=sys.stderr)


def summarize_profile(path: Path, top: int = 25) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed (raw) output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")[1:]]  # drop "process N" and lines
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"--- profile {path.name}: {total} active samples ---", "self%   function"]
    lines += [f"{100 * n / total:5.1f}   {f}" for f, n in own.most_common(top)]
    lines += ["incl%   function"]
    lines += [f"{100 * n / total:5.1f}   {f}" for f, n in inclusive.most_common(top + 20)]
    text = "\n".join(lines)
    path.with_suffix(".summary.txt").write_text(text + "\n")
    return text


# --------------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------------


@dataclass
class Tenant:
    id: uuid.UUID
    api_key: str


async def create_tenant(base_url: str, name: str) -> Tenant:
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
        response = await client.post(
            "/api/v1/tenants", json={"name": name}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        if response.status_code != 201:
            raise RuntimeError(f"tenant creation failed: {response.status_code} {response.text}")
        data = response.json()
        return Tenant(uuid.UUID(data["tenant_id"]), data["api_key"])


async def count_rows(owner_url: str, tenant_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", tenant_id))
    finally:
        await conn.close()


async def run_copy(owner_url: str, records: list[tuple[Any, ...]], chunk: int, cpu: CpuWindow) -> float:
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


def ndjson_bodies(events: list[dict[str, Any]], batch: int) -> list[bytes]:
    dumps = orjson.dumps
    return [b"\n".join(dumps(e) for e in events[i : i + batch]) + b"\n" for i in range(0, len(events), batch)]


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


def connection_split(port: int) -> str:
    """Established connections to the API port per server process, e.g. "2/2" ("?" without `ss`)."""
    try:
        out = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    counts = Counter(re.findall(r"pid=(\d+)", out))
    return "/".join(str(n) for _, n in counts.most_common()) or "?"


async def run_bulk(
    base_url: str, api_key: str, bodies: list[bytes], clients: int, spacing: float
) -> tuple[float, int, str]:
    """(seconds, events accepted, connections per API process) for posting every body, `clients` in flight."""
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
    connections = await RawConnection.open_many(base_url, clients, spacing)
    split = connection_split(int(base_url.rsplit(":", 1)[1]))
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in connections))
        return time.perf_counter() - started, accepted, split
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
    split = connection_split(int(base_url.rsplit(":", 1)[1]))
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
    cpu: CpuWindow
    workers: int | None = None
    rates: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class Baseline:
    """Raw COPY runs. One runs right before every bulk API run, so that on a shared machine the
    baseline gets as many chances at a quiet moment as the API does; the fastest run is the ceiling."""

    backing: Backing
    events: list[dict[str, Any]]
    chunk: int
    runs: list[tuple[float, CpuWindow]] = field(default_factory=list)
    tenant: Tenant | None = None

    def measure(self, api_pid: int, quiet_wait: float) -> None:
        assert self.tenant is not None
        n = len(self.events)
        records = copy_records(self.events, self.tenant.id)  # fresh ids each run
        cpu = CpuWindow(api_pid)
        wait_for_quiet(quiet_wait)
        seconds = asyncio.run(run_copy(self.backing.owner_url, records, self.chunk, cpu))
        self.runs.append((seconds, cpu))
        log(f"COPY: {n} events in {seconds:.2f} s = {n / seconds:,.0f} events/s [{cpu.describe()}]")

    def verify(self) -> str:
        assert self.tenant is not None
        expected = len(self.events) * len(self.runs)
        stored = asyncio.run(count_rows(self.backing.owner_url, self.tenant.id))
        if stored != expected:
            raise RuntimeError(f"COPY stored {stored} rows, expected {expected}")
        return f"COPY {stored}/{expected}"

    def row(self) -> Row:
        n = len(self.events)
        seconds, cpu = min(self.runs, key=lambda r: r[0])
        label = f"raw COPY (asyncpg, {self.chunk}-row chunks, 1 connection)"
        return Row(label, n, seconds, cpu, None, [n / s for s, _ in self.runs])


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=100_000, help="events for COPY and for each bulk run")
    p.add_argument("--duration", type=float, default=15.0, help="seconds of single-event POST load")
    p.add_argument("--batch-sizes", type=_ints, default=[1000, 5000], help="bulk batch sizes, comma-separated")
    p.add_argument("--bulk-clients", type=int, default=4, help="concurrent bulk clients")
    p.add_argument("--single-clients", type=int, default=32, help="concurrent single-POST connections")
    p.add_argument("--workers", type=_ints, default=[1, 2], help="uvicorn worker counts to try, comma-separated")
    p.add_argument(
        "--api-env",
        type=_key_value,
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
    p.add_argument("--skip-single", action="store_true", help="bulk and COPY only")
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
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        pass
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
    single: list[tuple[int, LoadResult, CpuWindow]] = []
    baseline = Baseline(backing, events, max(args.batch_sizes, default=5000))
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
                runs: list[tuple[float, CpuWindow]] = []
                splits: list[str] = []
                for attempt in range(args.repeat):
                    name = f"bulk-{size}-w{workers}" + (f"-{attempt + 1}" if args.repeat > 1 else "")
                    baseline.measure(server.pid, args.quiet_wait)
                    wait_for_quiet(args.quiet_wait)
                    profiler = Profiler(args.profile, server.pid, name)
                    cpu = CpuWindow(server.pid)
                    cpu.start()
                    try:
                        seconds, accepted, split = asyncio.run(
                            run_bulk(server.base_url, tenant.api_key, bodies, args.bulk_clients, args.connect_spacing)
                        )
                    finally:
                        cpu.stop()
                        profiler.stop()
                    if accepted != n:
                        raise RuntimeError(f"bulk {size}: {accepted} accepted, expected {n}")
                    runs.append((seconds, cpu))
                    splits.append(split)
                    log(
                        f"bulk {size} (workers={workers}, connections {split}): {n / seconds:,.0f} events/s in {seconds:.2f} s "
                        f"[{cpu.describe()}]"
                    )
                del bodies
                expected = n * args.repeat
                stored = asyncio.run(count_rows(backing.owner_url, tenant.id))
                if stored != expected:
                    raise RuntimeError(f"bulk {size}: {stored} rows stored, expected {expected}")
                verified.append(f"bulk {size} w{workers} {stored}/{expected}")
                seconds, cpu_used = min(runs, key=lambda r: r[0])
                label = f"API bulk NDJSON, {size}/request, {args.bulk_clients} clients"
                if workers > 1:
                    label += f" (connections per worker: {', '.join(splits)})"
                bulk_rows.append(Row(label, n, seconds, cpu_used, workers, [n / s for s, _ in runs]))

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
                cpu = CpuWindow(server.pid)
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


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


def server_version(owner_url: str) -> str:
    async def fetch() -> str:
        conn = await asyncpg.connect(asyncpg_dsn(owner_url))
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def render(
    args: argparse.Namespace,
    command: str,
    tools: list[str],
    copy_row: Row,
    bulk_rows: list[Row],
    single: list[tuple[int, LoadResult, CpuWindow]],
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
        "| Path | uvicorn workers | Events/s (best) | vs COPY | Runs (events/s) | CPU µs/event api / pg / total"
        " | CPU (cores) |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for row in [copy_row, *bulk_rows]:
        runs = ", ".join(f"{rate:,.0f}" for rate in row.rates)
        lines.append(
            f"| {row.label} | {row.workers or '-'} | {row.rate:,.0f} | {row.rate / copy_row.rate:.2f} "
            f"| {runs} | {row.cpu.cost(row.events)} | {row.cpu.describe()} |"
        )
    if bulk_rows:
        best = max(bulk_rows, key=lambda r: r.rate)
        ratio = best.rate / copy_row.rate
        lines += [
            "",
            f"Best bulk: {best.rate:,.0f} events/s ({best.label}, workers={best.workers}) = "
            f"**{ratio:.2f} x raw COPY** (target >= 0.40: {mark(ratio >= 0.4)}).",
        ]
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
