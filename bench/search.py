#!/usr/bin/env python
"""Search benchmark: ingest→searchable latency, indexing throughput, and query latency at scale.

    python bench/search.py [--events N] [--search-events M] [--profile DIR]

Self-contained: embedded PostgreSQL, Redis, moto (SQS) and osmem-server (japanese=False), or the
services named by DATABASE_URL / REDIS_URL / AWS_ENDPOINT_URL / OPENSEARCH_URL. It migrates,
creates the queues (per-run prefix) and the index template, starts the API (uvicorn subprocess, as
bench/ingest.py does) and one index worker (`python -m src.entrypoints.cli.main worker index`), then:

1. Latency: a steady load of small bulk requests (20 events every 100 ms = 200 events/s for 20 s).
   Every event carries a unique marker word and its batch's marker word in the message; after the
   201 the batch marker is polled with `GET /api/v1/logs?q=<batch marker>` until every event of the
   batch is returned. Latency = 201 received → first poll response containing the event. The
   `async_task` rows give a server-side breakdown (commit → worker start → task finished).
   A probe thread times a tiny `_count` every 100 ms, to tell backend stalls from worker stalls.
2. Throughput: N events (default 100,000) indexed by a raw `opensearchpy.helpers.async_bulk`
   (documents from `to_document`/`index_name`, chunk 2000, as the adapter does), once with one
   request in flight and once split over `index_consumers` concurrent calls, and then by the
   pipeline: the same N events posted to the bulk API with the worker stopped, the worker started,
   timed until an OpenSearch count of the tenant reaches N. The task rows and the worker log show
   redeliveries, relay republishes and redundant indexing.
3. Search: a tenant loaded towards M events (default 1,000,000) with COPY into PostgreSQL and raw
   async_bulk into OpenSearch (this measures query latency, not ingest), until `--load-budget`
   seconds or a memory guard stop it; then filter, word and word+phrase queries through the HTTP
   API, one client, sequential, up to `--search-requests` each within `--search-budget` seconds.
   osmem's RSS is read from /proc.

The report (markdown) is printed and written to bench/results/search.md (`--output`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/search.py`

from bench.harness import (
    COPY_COLUMNS,
    ROOT,
    SEVERITY_NUMBERS,
    ApiServer,
    Backing,
    CpuMeter,
    Profiler,
    Tenant,
    asyncpg_dsn,
    create_tenant,
    log,
    machine,
    make_events,
    ndjson_bodies,
    pct,
    script_setup,
    server_version,
    start_backing,
)
from bench.harness import wait_for_quiet as _wait_for_quiet
from bench.harness.data import HOSTS, draw_event, log_rows
from bench.harness.stack import ChildProcess, run_cleanups, service_env


def wait_for_quiet(max_wait: float) -> float:
    """This benchmark's phases are long and its stack busy on its own: quiet means <= 0.5 cores."""
    return _wait_for_quiet(max_wait, threshold=0.5)


OS_CHUNK = 2000  # what OpenSearchIndex.index uses
OS_MAX_CHUNK_BYTES = 20 * 1024 * 1024


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def rss_mib(pid: int | None, key: str = "VmRSS") -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class OsProbe:
    """A thread timing a tiny `_count` against OpenSearch every 100 ms (outside the asyncio loop), to tell
    stalls of the search backend itself from stalls in the worker."""

    def __init__(self, url: str, every: float = 0.1) -> None:
        self.url = url.rstrip("/") + "/logplane-logs-*/_count?ignore_unavailable=true"
        self.body = orjson.dumps({"query": {"term": {"tenant_id": str(uuid.uuid4())}}})
        self.every = every
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30.0) as client:
            while not self._stop.is_set():
                sent = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):
                    client.post(self.url, content=self.body, headers={"Content-Type": "application/json"})
                    self.times.append(time.perf_counter() - sent)
                self._stop.wait(max(0.0, self.every - (time.perf_counter() - sent)))

    def start(self) -> OsProbe:
        self._thread.start()
        return self

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join(35)
        return self.times


def worker_settings() -> dict[str, Any]:
    """The index worker's settings as the worker process will read them (same environment)."""
    from src.entrypoints.settings import AwsSettings, WorkerSettings

    cfg = WorkerSettings()
    return {
        "visibility_timeout": AwsSettings().visibility_timeout,
        "index_consumers": getattr(cfg, "index_consumers", 1),
        "receive_wait_seconds": cfg.receive_wait_seconds,
        "relay_stale_seconds": cfg.relay_stale_seconds,
    }


def mem_available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def fmt_mib(value: float | None) -> str:
    return "n/a (external)" if value is None else f"{value:,.0f} MiB"


# --------------------------------------------------------------------------------------------------
# The stack: backing services, queues, template, API, worker
# --------------------------------------------------------------------------------------------------


@dataclass
class Stack:
    backing: Backing
    aws_url: str
    os_url: str
    prefix: str
    workdir: Path
    pids: dict[str, int | None] = field(default_factory=dict)
    visibility: int = 60
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def roots(self, **more: int | None) -> dict[str, int | None]:
        """Process-tree roots for CPU accounting (services started elsewhere count as "other")."""
        return {**self.pids, **more}

    @property
    def osmem_pid(self) -> int | None:
        """The search engine's pid (osmem-server or the real OpenSearch), for RSS."""
        return self.pids.get("osmem") or self.pids.get("opensearch")

    def env(self) -> dict[str, str]:
        """What the API and the worker get on top of the environment (LOGPLANE_* as in settings.py)."""
        return {
            "LOGPLANE_AWS_ENDPOINT_URL": self.aws_url,
            "LOGPLANE_OPENSEARCH_URL": self.os_url,
            "LOGPLANE_SQS_QUEUE_PREFIX": self.prefix,
        }

    def close(self) -> None:
        run_cleanups(self.cleanups)
        self.backing.close()


def start_stack(workdir: Path, engine: str = "osmem", heap: str = "1g") -> Stack:
    from src.adapters.opensearch.provision import ensure_index_template

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    backing = start_backing(workdir)
    stack = Stack(backing, "", "", f"bench{uuid.uuid4().hex[:6]}-", workdir)
    stack.visibility = int(worker_settings()["visibility_timeout"])
    with contextlib.suppress(OSError, ValueError, IndexError):
        # The embedded postmaster (daemonized by pg_ctl, so not our child): its backends are its children.
        stack.pids["postgres"] = int((workdir / "pg" / "data" / "postmaster.pid").read_text().split()[0])
    try:
        aws_url = os.environ.get("AWS_ENDPOINT_URL")
        if not aws_url:
            from src.adapters.embedded.moto import start_moto

            moto = start_moto(log_path=workdir / "moto.log")
            stack.cleanups.append(moto.stop)
            stack.pids["moto"] = moto.pid
            aws_url = moto.url
        stack.aws_url = aws_url
        log(f"sqs: {aws_url} (queue prefix {stack.prefix})")
        os_url = os.environ.get("OPENSEARCH_URL")
        if not os_url and engine == "opensearch":
            from src.adapters.embedded.opensearch import start_opensearch

            node = start_opensearch(workdir / "opensearch", heap=heap)
            stack.cleanups.append(node.stop)
            stack.pids["opensearch"] = node.pid
            os_url = node.url
        if not os_url:
            from src.adapters.embedded.osmem import start_osmem

            osmem = start_osmem(japanese=False)
            stack.cleanups.append(osmem.stop)
            stack.pids["osmem"] = osmem.pid
            os_url = osmem.url
        stack.os_url = os_url
        log(f"opensearch: {os_url}" + (f" (osmem pid {stack.osmem_pid})" if stack.osmem_pid else ""))
        asyncio.run(_provision(stack, ensure_index_template))
    except BaseException:
        stack.close()
        raise
    return stack


async def _provision(stack: Stack, ensure_index_template: Any) -> None:
    import aioboto3

    from src.adapters.sqs.provision import ensure_queues

    # As `logplane dev` does: the queue's default visibility timeout is settings.aws.visibility_timeout.
    await ensure_queues(
        aioboto3.Session(), endpoint_url=stack.aws_url, prefix=stack.prefix, visibility_timeout=stack.visibility
    )
    await ensure_index_template(stack.os_url)


class WorkerProcess(ChildProcess):
    """`python -m src.entrypoints.cli.main worker index` as a child; SIGTERM lets its batch finish."""

    stop_wait = 30.0

    def __init__(self, stack: Stack, log_path: Path) -> None:
        self._offset = log_path.stat().st_size if log_path.exists() else 0
        self.started = time.time()
        super().__init__(
            [sys.executable, "-m", "src.entrypoints.cli.main", "worker", "index"],
            env=service_env(stack.backing, stack.env()),
            log_path=log_path,
        )

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"index worker exited with {self.proc.returncode}:\n{self.tail()}")

    def log_lines(self) -> list[dict[str, Any]]:
        """This run's JSON log lines."""
        out = []
        with contextlib.suppress(OSError):
            for raw in self.log_path.read_bytes()[self._offset :].splitlines():
                with contextlib.suppress(orjson.JSONDecodeError):
                    entry = orjson.loads(raw)
                    if isinstance(entry, dict):
                        out.append(entry)
        return out


# --------------------------------------------------------------------------------------------------
# Shared database / OpenSearch helpers
# --------------------------------------------------------------------------------------------------


async def task_rows(owner_url: str, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    """The tenant's reindex tasks, each with the ids of the commit it names (`log_ids`, text)."""
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        return list(
            await conn.fetch(
                "SELECT t.task_id, t.status, t.attempts, t.created_at, t.started_at, t.finished_at, "
                "t.payload::text AS payload, t.result::text AS result, "
                "coalesce(c.log_ids::text[], '{}') AS log_ids FROM async_task t "
                "LEFT JOIN log_commits c ON c.tenant_id = t.tenant_id "
                "AND c.min_id = CAST(t.payload->'commit'->>'lowest' AS uuid) "
                "AND c.max_id = CAST(t.payload->'commit'->>'highest' AS uuid) "
                "WHERE t.tenant_id = $1 AND t.task_type = 'reindex' ORDER BY t.created_at",
                tenant_id,
            )
        )
    finally:
        await conn.close()


async def queue_depth(stack: Stack) -> int:
    """Messages waiting in the index queue (visible + in flight)."""
    import aioboto3

    async with aioboto3.Session().client("sqs", endpoint_url=stack.aws_url) as sqs:
        url = (await sqs.get_queue_url(QueueName=f"{stack.prefix}index"))["QueueUrl"]
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names))["Attributes"]
        return sum(int(attrs.get(name, 0)) for name in names)


async def os_count(client: Any, tenant_id: uuid.UUID) -> int:
    result = await client.count(
        index="logplane-logs-*",
        body={"query": {"term": {"tenant_id": str(tenant_id)}}},
        routing=str(tenant_id),
        params={"ignore_unavailable": "true"},
    )
    return int(result["count"])


def os_client(url: str) -> Any:
    from opensearchpy import AsyncOpenSearch

    return AsyncOpenSearch(hosts=[url], timeout=300, max_retries=0, maxsize=8)


def bulk_actions(events: Iterable[Any]) -> Iterable[dict[str, Any]]:
    """Exactly the adapter's action shape (OpenSearchIndex.index)."""
    from src.adapters.opensearch.documents import index_name, to_document

    for e in events:
        yield {
            "_op_type": "index",
            "_index": index_name(e.timestamp),
            "_id": str(e.id),
            "_routing": str(e.tenant_id),
            "_source": to_document(e),
        }


async def raw_bulk(client: Any, actions: Iterable[dict[str, Any]]) -> int:
    from opensearchpy.helpers import async_bulk

    ok, errors = await async_bulk(
        client, actions, chunk_size=OS_CHUNK, max_chunk_bytes=OS_MAX_CHUNK_BYTES, raise_on_error=False
    )
    if errors:
        failures = errors if isinstance(errors, list) else []
        raise RuntimeError(f"raw bulk: {len(failures)} documents refused, e.g. {str(failures[:1])[:500]}")
    return int(ok)


def to_events(dicts: list[dict[str, Any]], tenant_id: uuid.UUID) -> list[Any]:
    """Client event dicts → stored LogEvents (new UUIDv7 ids), as the API would store them."""
    from src.domain.ids import new_id
    from src.domain.logs import LogEvent
    from src.domain.severity import Severity

    received = datetime.now(UTC)
    return [
        LogEvent(
            id=new_id(),
            tenant_id=tenant_id,
            timestamp=datetime.fromisoformat(d["timestamp"]),
            received_at=received,
            message=d["message"],
            severity=Severity(SEVERITY_NUMBERS[d["severity"]]),
            service=d.get("service"),
            host=d.get("host"),
            user_id=d.get("user_id"),
            action=d.get("action"),
            trace_id=d.get("trace_id"),
            span_id=d.get("span_id"),
            attributes=d.get("attributes") or {},
        )
        for d in dicts
    ]


async def post_bulk(base_url: str, api_key: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    """(seconds, events accepted) for posting every body to the bulk API, `clients` requests in flight."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/x-ndjson"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    pending = iter(range(len(bodies)))
    accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        for i in pending:
            response = await client.post("/api/v1/logs/bulk", content=bodies[i], headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"bulk batch {i}: HTTP {response.status_code}: {response.text[:500]}")
            accepted += int(orjson.loads(response.content)["accepted"])

    async with httpx.AsyncClient(base_url=base_url, timeout=300.0, limits=limits) as client:
        await asyncio.gather(*(client.get("/health/live") for _ in range(clients)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - started, accepted


def _wall(ts: datetime | None) -> float | None:
    return ts.timestamp() if ts is not None else None


# --------------------------------------------------------------------------------------------------
# Phase 1: ingest → searchable latency
# --------------------------------------------------------------------------------------------------


@dataclass
class LatencyResult:
    seconds: float
    batches: int
    events: int
    sent_rate: float
    visible: list[float]  # per event, seconds from 201 to the first poll response containing it
    missing: int
    ingest_rtt: list[float]  # per request, seconds
    polls: int
    poll_interval: float
    to_started: list[float]  # per task, wall seconds: 201 → worker started the task
    to_finished: list[float]  # per event: 201 → task finished (server clock)
    queue_wait: list[float]  # per task: created_at → started_at
    idle_hop: list[float]  # the same, only for tasks committed while the worker was idle (long-poll check)
    index_time: list[float]  # per task: started_at → finished_at
    tasks: int
    marker_checks: str
    cpu: str
    bulk_times: list[float] = field(default_factory=list)  # the worker's _bulk request times (its log)
    probe_times: list[float] = field(default_factory=list)  # a tiny _count every 100 ms from a bench thread


def bulk_request_times(entries: list[dict[str, Any]], start: float, end: float) -> list[float]:
    """opensearch-py logs every request at INFO: `POST …/_bulk [status:200 request:0.013s]`."""
    out = []
    for entry in entries:
        message = str(entry.get("message", ""))
        if "/_bulk " not in message or "request:" not in message:
            continue
        with contextlib.suppress(KeyError, ValueError):
            at = datetime.fromisoformat(entry["ts"]).timestamp()
            if start <= at <= end:
                out.append(float(message.rsplit("request:", 1)[1].rstrip("s]")))
    return out


async def run_latency(
    base_url: str, tenant: Tenant, owner_url: str, *, seconds: float, rate: int, batch: int, poll_interval: float
) -> LatencyResult:
    headers = {"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/x-ndjson"}
    read_headers = {"Authorization": f"Bearer {tenant.api_key}"}
    rng = random.Random(7)
    hosts = [f"ip-10-0-0-{i}" for i in range(10, 18)]
    interval = batch / rate
    clock = time.perf_counter
    wall_offset = time.time() - clock()

    t201: dict[str, float] = {}  # event id -> perf time of its batch's 201
    visible: dict[str, float] = {}
    markers: dict[str, str] = {}  # event id -> its own marker
    rtts: list[float] = []
    polls = 0
    pollers: list[asyncio.Task[None]] = []
    failures: list[str] = []

    def body_for(token: str) -> tuple[bytes, list[str]]:
        lines, own = [], []
        now = datetime.now(UTC).isoformat()
        for _ in range(batch):
            service, _user, severity, message, attributes = draw_event(rng)
            marker = "ev" + uuid.uuid4().hex[:16]
            own.append(marker)
            event = {
                "timestamp": now,
                "severity": severity,
                "service": service,
                "host": rng.choice(hosts),
                "message": f"{message} probe {token} {marker}",
                "attributes": {**attributes, "probe": marker},
            }
            lines.append(orjson.dumps(event))
        return b"\n".join(lines) + b"\n", own

    async def watch(client: httpx.AsyncClient, token: str, ids: list[str], acked: float) -> None:
        nonlocal polls
        pending = set(ids)
        deadline = acked + 30.0
        while pending and clock() < deadline:
            response = await client.get("/api/v1/logs", params={"q": token, "page_size": 50}, headers=read_headers)
            got = clock()
            polls += 1
            if response.status_code == 200:
                for item in orjson.loads(response.content)["items"]:
                    if item["id"] in pending:
                        pending.discard(item["id"])
                        visible[item["id"]] = got
            elif response.status_code != 503:
                failures.append(f"poll: HTTP {response.status_code} {response.text[:200]}")
                return
            if pending:
                await asyncio.sleep(poll_interval)

    async def send(client: httpx.AsyncClient, k: int) -> None:
        token = "pb" + uuid.uuid4().hex[:16]
        body, own = body_for(token)
        sent = clock()
        response = await client.post("/api/v1/logs/bulk", content=body, headers=headers)
        acked = clock()
        if response.status_code != 201:
            failures.append(f"batch {k}: HTTP {response.status_code} {response.text[:200]}")
            return
        rtts.append(acked - sent)
        ids = [item["id"] for item in orjson.loads(response.content)["items"]]
        for i, m in zip(ids, own, strict=True):
            t201[i] = acked
            markers[i] = m
        pollers.append(asyncio.create_task(watch(client, token, ids, acked)))

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        await asyncio.gather(*(client.get("/health/live") for _ in range(8)))
        senders: list[asyncio.Task[None]] = []
        started = clock()
        k = 0
        while True:
            due = started + k * interval
            if due - started >= seconds:
                break
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            senders.append(asyncio.create_task(send(client, k)))
            k += 1
        await asyncio.gather(*senders)
        elapsed = clock() - started
        await asyncio.gather(*pollers)
        # Every event is also findable by its own marker: check a sample, one request each.
        sample = random.Random(1).sample(sorted(markers), min(20, len(markers)))
        found = 0
        for event_id in sample:
            response = await client.get("/api/v1/logs", params={"q": markers[event_id]}, headers=read_headers)
            items = orjson.loads(response.content).get("items", []) if response.status_code == 200 else []
            found += int([i["id"] for i in items] == [event_id])
    if failures:
        raise RuntimeError("latency phase failed: " + "; ".join(failures[:5]))

    # Server-side breakdown from the outbox rows (same machine, same wall clock).
    rows = await task_rows(owner_url, tenant.id)
    finished_at: dict[str, float] = {}
    to_started: list[float] = []
    queue_wait: list[float] = []
    index_time: list[float] = []
    for row in rows:
        ids = row["log_ids"]
        start_w, end_w, created_w = _wall(row["started_at"]), _wall(row["finished_at"]), _wall(row["created_at"])
        mine = [i for i in ids if i in t201]
        if not mine or start_w is None or end_w is None or created_w is None:
            continue
        for i in mine:
            finished_at[i] = end_w
        to_started.append(start_w - (t201[mine[0]] + wall_offset))
        queue_wait.append(start_w - created_w)
        index_time.append(end_w - start_w)
    # Tasks committed while no task was in flight (every consumer idle in its long poll): their hop is
    # SQS + the long poll alone, not waiting behind a batch in hand.
    idle_hop: list[float] = []
    busy_until = float("-inf")
    timed = [r for r in rows if r["started_at"] is not None and r["finished_at"] is not None]
    for row in sorted(timed, key=lambda r: r["started_at"]):
        created_w, start_w, end_w = (
            row["created_at"].timestamp(),
            row["started_at"].timestamp(),
            row["finished_at"].timestamp(),
        )
        if created_w >= busy_until:
            idle_hop.append(start_w - created_w)
        busy_until = max(busy_until, end_w)
    return LatencyResult(
        seconds=elapsed,
        batches=len(rtts),
        events=len(t201),
        sent_rate=len(t201) / elapsed,
        visible=[visible[i] - t201[i] for i in t201 if i in visible],
        missing=len(t201) - len(visible),
        ingest_rtt=rtts,
        polls=polls,
        poll_interval=poll_interval,
        to_started=to_started,
        to_finished=[finished_at[i] - (t201[i] + wall_offset) for i in t201 if i in finished_at],
        queue_wait=queue_wait,
        idle_hop=idle_hop,
        index_time=index_time,
        tasks=len(rows),
        marker_checks=f"{found}/{len(sample)}",
        cpu="",
    )


# --------------------------------------------------------------------------------------------------
# Phase 2: indexing throughput, raw async_bulk vs the pipeline
# --------------------------------------------------------------------------------------------------


@dataclass
class ThroughputResult:
    events: int
    raw_seconds: float
    raw_cpu: str
    ingest_seconds: float
    pipeline_spawn_seconds: float  # worker spawned → all N searchable
    pipeline_seconds: float  # first task started → all N searchable
    startup_seconds: float  # worker spawned → first task started
    pipeline_cpu: str
    tasks: int
    ids_per_task: tuple[int, int, float]  # min, max, mean
    attempts: int
    receives: list[int]  # events per worker receive (one bulk each), from the worker log
    index_spans: list[float]  # started→finished per task
    max_span: float = 0.0  # longest started→finished of a task
    redelivered: int = 0  # tasks started more than once
    indexed_by_worker: int = 0  # events the worker sent to OpenSearch (its log), duplicates included
    raw_parallel: int = 1  # bulk requests in flight for the second raw run (= index_consumers)
    raw_parallel_seconds: float = 0.0
    raw_parallel_cpu: str = ""
    relayed: int = 0  # messages the outbox relay published again during the pipeline (worker log)
    queued_at_start: int = 0  # messages in the index queue when the worker started
    failures: list[str] = field(default_factory=list)  # the worker's "index task … failed (attempt n)" lines

    @property
    def raw_rate(self) -> float:
        return self.events / self.raw_seconds

    @property
    def pipeline_rate(self) -> float:
        return self.events / self.pipeline_seconds

    @property
    def pipeline_spawn_rate(self) -> float:
        return self.events / self.pipeline_spawn_seconds


async def wait_count(client: Any, tenant_id: uuid.UUID, expected: int, *, within: float, every: float = 0.25) -> float:
    """perf_counter time at which the tenant's count first reached `expected`."""
    deadline = time.perf_counter() + within
    count = -1
    while time.perf_counter() < deadline:
        count = await os_count(client, tenant_id)
        if count >= expected:
            return time.perf_counter()
        await asyncio.sleep(every)
    raise RuntimeError(f"only {count} of {expected} documents searchable after {within:g} s")


async def run_raw(os_url: str, events: list[Any], parallel: int = 1) -> float:
    """Seconds until all `events` are searchable, indexed by `parallel` concurrent async_bulk calls."""
    client = os_client(os_url)
    try:
        await client.info()
        size = -(-len(events) // parallel)
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(raw_bulk(client, bulk_actions(events[i : i + size])) for i in range(0, len(events), size))
        )
        indexed = sum(counts)
        if indexed != len(events):
            raise RuntimeError(f"raw bulk indexed {indexed} of {len(events)}")
        done = await wait_count(client, events[0].tenant_id, len(events), within=900)
        return done - started
    finally:
        await client.close()


async def wait_pipeline(os_url: str, tenant_id: uuid.UUID, expected: int, worker: WorkerProcess) -> float:
    """Wall time (time.time()) at which all `expected` documents were searchable."""
    client = os_client(os_url)
    try:
        deadline = time.perf_counter() + 1800
        while time.perf_counter() < deadline:
            worker.check()
            if await os_count(client, tenant_id) >= expected:
                return time.time()
            await asyncio.sleep(0.25)
        raise RuntimeError("pipeline did not index everything within 30 minutes")
    finally:
        await client.close()


def run_throughput(
    args: argparse.Namespace, stack: Stack, api: ApiServer, worker: WorkerProcess | None
) -> tuple[ThroughputResult, WorkerProcess]:
    n = args.events
    log(f"throughput: generating {n} events")
    dicts = make_events(n, seed=11)
    roots = stack.roots(api=api.pid)

    # Raw baseline first (smaller index than the pipeline will see: conservative for the ratio).
    raw_events = to_events(dicts, uuid.uuid4())
    cpu = CpuMeter(roots, me="bench").start()
    raw_seconds = asyncio.run(run_raw(stack.os_url, raw_events))
    cpu.stop()
    raw_cpu = cpu.describe()
    del raw_events
    log(f"raw async_bulk: {n} docs searchable in {raw_seconds:.2f} s = {n / raw_seconds:,.0f}/s [{raw_cpu}]")
    # The worker runs `index_consumers` receive loops, i.e. up to that many bulk requests in flight;
    # the same concurrency for raw makes an apples-to-apples second baseline.
    parallel = int(worker_settings()["index_consumers"])
    raw_parallel_seconds, raw_parallel_cpu = 0.0, ""
    if parallel > 1:
        raw_events = to_events(dicts, uuid.uuid4())
        cpu = CpuMeter(roots, me="bench").start()
        raw_parallel_seconds = asyncio.run(run_raw(stack.os_url, raw_events, parallel))
        raw_parallel_cpu = cpu.stop().describe()
        del raw_events
        log(
            f"raw async_bulk x{parallel}: {n} docs searchable in {raw_parallel_seconds:.2f} s = "
            f"{n / raw_parallel_seconds:,.0f}/s [{raw_parallel_cpu}]"
        )

    # Pipeline: the worker is stopped while the events go into PostgreSQL through the API.
    if worker is not None:
        worker.stop()
    tenant = asyncio.run(create_tenant(api.base_url, f"bench-throughput-{uuid.uuid4().hex[:6]}"))
    bodies = ndjson_bodies(dicts, args.ingest_batch)
    del dicts
    ingest_seconds, accepted = asyncio.run(post_bulk(api.base_url, tenant.api_key, bodies, args.ingest_clients))
    del bodies
    if accepted != n:
        raise RuntimeError(f"bulk ingest accepted {accepted} of {n}")
    queued = asyncio.run(queue_depth(stack))
    pending_tasks = len(asyncio.run(task_rows(stack.backing.owner_url, tenant.id)))
    log(
        f"ingested {n} events via the bulk API in {ingest_seconds:.2f} s (worker stopped; {pending_tasks} tasks,"
        f" {queued} messages in the index queue); starting the worker"
    )
    worker = WorkerProcess(stack, stack.workdir / "worker.log")
    profiler = Profiler(args.profile, worker.pid, "worker-throughput") if args.profile else None
    cpu = CpuMeter({**roots, "worker": worker.pid}, me="bench").start()
    try:
        done_wall = asyncio.run(wait_pipeline(stack.os_url, tenant.id, n, worker))
    finally:
        cpu.stop()
        if profiler is not None:
            profiler.stop()
    # Searchable is the clock; the tasks are marked succeeded (and the worker logs) just after.
    rows = asyncio.run(task_rows(stack.backing.owner_url, tenant.id))
    deadline = time.monotonic() + 60
    while any(r["status"] != "succeeded" for r in rows) and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = asyncio.run(task_rows(stack.backing.owner_url, tenant.id))
    time.sleep(0.2)
    starts = [_wall(r["started_at"]) for r in rows if r["started_at"] is not None]
    first_start = min(s for s in starts if s is not None)
    sizes = [len(r["log_ids"]) for r in rows]
    spans = [
        r["finished_at"].timestamp() - r["started_at"].timestamp()
        for r in rows
        if r["started_at"] is not None and r["finished_at"] is not None
    ]
    entries = worker.log_lines()
    failures = [str(e["message"]) for e in entries if "failed (attempt" in str(e.get("message", ""))]
    # runner.py logs "<name> relay: N" when a relay round published N messages again.
    relayed = 0
    for e in entries:
        found = re.fullmatch(r".*relay: (\d+)", str(e.get("message", "")))
        if found:
            relayed += int(found.group(1))
    receives = [
        int(entry["message"].split()[1]) for entry in entries if str(entry.get("message", "")).startswith("indexed ")
    ]
    result = ThroughputResult(
        events=n,
        raw_seconds=raw_seconds,
        raw_cpu=raw_cpu,
        ingest_seconds=ingest_seconds,
        pipeline_spawn_seconds=done_wall - worker.started,
        pipeline_seconds=done_wall - first_start,
        startup_seconds=first_start - worker.started,
        pipeline_cpu=cpu.describe(),
        tasks=len(rows),
        ids_per_task=(min(sizes), max(sizes), sum(sizes) / len(sizes)),
        attempts=sum(int(r["attempts"]) for r in rows),
        receives=receives,
        index_spans=spans,
        max_span=max(spans, default=0.0),
        redelivered=sum(1 for r in rows if int(r["attempts"]) > 1),
        indexed_by_worker=sum(receives),
        raw_parallel=parallel,
        raw_parallel_seconds=raw_parallel_seconds,
        raw_parallel_cpu=raw_parallel_cpu,
        relayed=relayed,
        queued_at_start=queued,
        failures=failures,
    )
    log(
        f"pipeline: {n} docs searchable {result.pipeline_seconds:.2f} s after the first task started "
        f"({result.pipeline_rate:,.0f}/s; {result.pipeline_spawn_seconds:.2f} s from worker spawn) "
        f"[{result.pipeline_cpu}]; ratio {result.pipeline_rate / result.raw_rate:.2f}"
    )
    return result, worker


# --------------------------------------------------------------------------------------------------
# Phase 3: search latency at scale
# --------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    target: int
    loaded: int
    seconds: float
    stopped_by: str
    pg_rows: int
    pg_size_mib: float
    rss_before: float | None
    rss_after: float | None
    cpu: str
    index_total: int


@dataclass
class QueryResult:
    kind: str
    example: str
    latencies: list[float]  # seconds
    totals: list[int]
    budget_hit: bool
    direct: list[float] = field(default_factory=list)  # the same query straight to OpenSearch, seconds
    took: list[float] = field(default_factory=list)  # the engine's own `took`, seconds


def generate_stored(n: int, tenant_id: uuid.UUID, rng: random.Random, now: datetime) -> list[Any]:
    """N stored events spread over the last 24 hours (yesterday's and today's partitions/indices)."""
    from src.domain.ids import new_id
    from src.domain.logs import LogEvent
    from src.domain.severity import Severity

    out = []
    for _ in range(n):
        service, user, severity, message, attributes = draw_event(rng)
        traced = rng.random() < 0.6
        out.append(
            LogEvent(
                id=new_id(),
                tenant_id=tenant_id,
                timestamp=now - timedelta(seconds=60 + rng.random() * 86_340),
                received_at=now,
                message=message,
                severity=Severity(SEVERITY_NUMBERS[severity]),
                service=service,
                host=rng.choice(HOSTS),
                user_id=user if traced else None,
                action=None,
                trace_id=f"{rng.getrandbits(128):032x}" if traced else None,
                span_id=f"{rng.getrandbits(64):016x}" if traced else None,
                attributes=attributes,
            )
        )
    return out


class SearchLoader:
    """Loads one tenant straight into PostgreSQL (COPY) and OpenSearch (raw async_bulk), resumably."""

    def __init__(self, stack: Stack, tenant_id: uuid.UUID, args: argparse.Namespace) -> None:
        self.stack = stack
        self.tenant_id = tenant_id
        self.args = args
        self.rng = random.Random(2024)
        self.now = datetime.now(UTC)
        self.loaded = 0
        self.seconds = 0.0
        self.stopped_by = ""
        self.rss_before = rss_mib(stack.osmem_pid)
        self.cpu_seconds: defaultdict[str, float] = defaultdict(float)

    async def load_until(self, target: int) -> None:
        """Load until `target` events, or until the time budget or a memory guard stops it."""
        args = self.args
        conn = await asyncpg.connect(asyncpg_dsn(self.stack.backing.owner_url))
        client = os_client(self.stack.os_url)
        cpu = CpuMeter(self.stack.roots(), me="bench").start()
        started = time.perf_counter()
        try:
            while self.loaded < target and not self.stopped_by:
                if self.seconds + time.perf_counter() - started > args.load_budget:
                    self.stopped_by = f"--load-budget {args.load_budget:g} s"
                    break
                rss = rss_mib(self.stack.osmem_pid)
                if rss is not None and rss > args.max_osmem_rss:
                    self.stopped_by = f"osmem RSS {rss:,.0f} MiB > --max-osmem-rss {args.max_osmem_rss:,.0f} MiB"
                    break
                if mem_available_mib() < args.min_free_memory:
                    self.stopped_by = f"MemAvailable {mem_available_mib():,.0f} MiB < {args.min_free_memory:,.0f} MiB"
                    break
                n = min(args.load_chunk, target - self.loaded)
                events = generate_stored(n, self.tenant_id, self.rng, self.now)
                parts = [events[i :: args.load_concurrency] for i in range(args.load_concurrency)]
                jobs = [raw_bulk(client, bulk_actions(part)) for part in parts if part]
                if not args.skip_pg_load:
                    records = log_rows(events)
                    jobs.append(conn.copy_records_to_table("logs", records=records, columns=COPY_COLUMNS))
                await asyncio.gather(*jobs)
                self.loaded += n
                elapsed = self.seconds + time.perf_counter() - started
                log(
                    f"search load: {self.loaded:,} events in {elapsed:.0f} s ({self.loaded / elapsed:,.0f}/s), "
                    f"osmem RSS {fmt_mib(rss_mib(self.stack.osmem_pid))}"
                )
            self.seconds += time.perf_counter() - started
            cpu.stop()
            for name, cores in cpu.cores.items():
                self.cpu_seconds[name] += cores * (time.perf_counter() - started)
            # The real OpenSearch shows bulk-loaded documents only after a refresh (osmem at once).
            await client.indices.refresh(index="logplane-logs-*", params={"ignore_unavailable": "true"})
            count = await os_count(client, self.tenant_id)
            if count != self.loaded:
                raise RuntimeError(f"search load: OpenSearch counts {count}, loaded {self.loaded}")
        finally:
            await client.close()
            await conn.close()

    async def result(self, index_total: int) -> LoadResult:
        conn = await asyncpg.connect(asyncpg_dsn(self.stack.backing.owner_url))
        try:
            pg_rows = int(await conn.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", self.tenant_id))
            pg_size = int(await conn.fetchval("SELECT pg_database_size(current_database())")) / 2**20
        finally:
            await conn.close()
        span = self.seconds or 1.0
        order = ("osmem", "opensearch", "postgres", "bench", "other", "idle")
        cpu = ", ".join(f"{k} {self.cpu_seconds[k] / span:.2f}" for k in order if self.cpu_seconds.get(k, 0) > 0)
        return LoadResult(
            target=self.args.search_events,
            loaded=self.loaded,
            seconds=self.seconds,
            stopped_by=self.stopped_by,
            pg_rows=pg_rows,
            pg_size_mib=pg_size,
            rss_before=self.rss_before,
            rss_after=rss_mib(self.stack.osmem_pid),
            cpu=cpu,
            index_total=index_total,
        )


async def index_total(os_url: str) -> int:
    client = os_client(os_url)
    try:
        result = await client.count(index="logplane-logs-*", params={"ignore_unavailable": "true"})
        return int(result["count"])
    finally:
        await client.close()


FILTER_SERVICES = ("billing", "checkout", "auth", "api-gateway")
WORDS = ("declined", "upstream", "signed", "threshold")
PHRASES = (
    'stripe "authorization declined"',
    'retrying "Service Unavailable"',
    'table "slow threshold"',
    'session "signed in"',
)


def query_params(kind: str, i: int, now: datetime) -> dict[str, Any]:
    if kind == "filter24":
        return {
            "service": FILTER_SERVICES[i % len(FILTER_SERVICES)],
            "min_severity": "warn",
            "from": (now - timedelta(hours=24)).isoformat(),
            "to": now.isoformat(),
            "page_size": 50,
        }
    if kind == "stats":
        return {"from": (now - timedelta(hours=24)).isoformat(), "to": now.isoformat(), "interval": "1h"}
    if kind == "filter":
        hours = 1 + i % 6
        end = now - timedelta(minutes=(i * 7) % 600)
        return {
            "service": FILTER_SERVICES[i % len(FILTER_SERVICES)],
            "min_severity": "warn",
            "from": (end - timedelta(hours=hours)).isoformat(),
            "to": end.isoformat(),
            "page_size": 50,
        }
    if kind == "word":
        return {"q": WORDS[i % len(WORDS)], "page_size": 50}
    return {"q": PHRASES[i % len(PHRASES)], "page_size": 50}


def direct_body(kind: str, params: dict[str, Any], tenant_id: uuid.UUID) -> dict[str, Any]:
    """The body the adapter sends for the API request `params` (built by the adapter's own functions)."""
    from src.adapters.opensearch.documents import search_body, stats_body
    from src.domain.query import LogQuery, StatsQuery, parse_text_query
    from src.domain.severity import normalise_severity

    start = datetime.fromisoformat(params["from"]) if "from" in params else None
    end = datetime.fromisoformat(params["to"]) if "to" in params else None
    if kind == "stats":
        assert start is not None and end is not None
        return stats_body(tenant_id, StatsQuery(start=start, end=end, interval_seconds=3600))
    query = LogQuery(
        start=start,
        end=end,
        service=params.get("service"),
        min_severity=normalise_severity(params["min_severity"]) if "min_severity" in params else None,
        text=parse_text_query(params["q"]) if "q" in params else None,
        page_size=params["page_size"],
    )
    return search_body(tenant_id, query)


async def run_queries(
    base_url: str,
    tenant: Tenant,
    *,
    kinds: list[str],
    requests: int,
    budget: float,
    os_url: str | None = None,
) -> list[QueryResult]:
    """Each request through the API, then (with `os_url`) the same query straight to OpenSearch."""
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    now = datetime.now(UTC)
    out = []
    engine = os_client(os_url) if os_url else None
    async with httpx.AsyncClient(base_url=base_url, timeout=300.0) as client:
        for kind in kinds:
            path = "/api/v1/logs/stats" if kind == "stats" else "/api/v1/logs"
            # One untimed warm-up request per kind.
            await client.get(path, params=query_params(kind, 0, now), headers=headers)
            direct: list[float] = []
            took: list[float] = []
            latencies: list[float] = []
            totals: list[int] = []
            started = time.perf_counter()
            budget_hit = False
            for i in range(requests):
                if time.perf_counter() - started > budget:
                    budget_hit = True
                    break
                params = query_params(kind, i, now)
                sent = time.perf_counter()
                response = await client.get(path, params=params, headers=headers)
                latencies.append(time.perf_counter() - sent)
                if engine is not None:
                    body = direct_body(kind, params, tenant.id)
                    sent = time.perf_counter()
                    raw = await engine.search(
                        index="logplane-logs-*",
                        body=body,
                        routing=str(tenant.id),
                        params={"ignore_unavailable": "true"},
                    )
                    direct.append(time.perf_counter() - sent)
                    took.append(raw["took"] / 1000)
                if kind == "stats":
                    if response.status_code != 200:
                        raise RuntimeError(f"stats {params}: HTTP {response.status_code} {response.text[:300]}")
                    totals.append(int(orjson.loads(response.content)["total"]))
                    continue
                if response.status_code != 200 or response.headers.get("x-logplane-source") != "opensearch":
                    raise RuntimeError(f"{kind} query {params}: HTTP {response.status_code} {response.text[:300]}")
                body = orjson.loads(response.content)
                if body["total"] > 0 and not body["items"]:
                    raise RuntimeError(f"{kind} query {params}: total {body['total']} but no items")
                totals.append(int(body["total"]))
            example = "&".join(f"{k}={v}" for k, v in query_params(kind, 0, now).items() if k not in ("from", "to")) + (
                "&from=…&to=… (1-6 h windows)" if kind == "filter" else ""
            )
            out.append(QueryResult(kind, example, latencies, totals, budget_hit, direct, took))
            log(
                f"search {kind}: {len(latencies)} requests, p50 {pct(latencies, 50) * 1000:.0f} ms, "
                f"p95 {pct(latencies, 95) * 1000:.0f} ms, hits median {int(pct(totals, 50)):,}"
                + (
                    f"; direct p50 {pct(direct, 50) * 1000:.0f} ms, p95 {pct(direct, 95) * 1000:.0f} ms"
                    if direct
                    else ""
                )
            )
    if engine is not None:
        await engine.close()
    return out


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def render(
    args: argparse.Namespace,
    command: str,
    stack: Stack,
    lat: LatencyResult | None,
    thr: ThroughputResult | None,
    load: LoadResult | None,
    queries: list[QueryResult],
    checkpoints: list[tuple[int, int, list[QueryResult]]],
    run_seconds: float,
    rss_marks: list[tuple[str, float | None]],
    background: dict[str, float],
) -> str:
    def mark(ok: bool) -> str:
        return "meets target" if ok else "**BELOW target**"

    worker_cfg = worker_settings()
    osmem = "osmem-server 0.1.6 (in memory, japanese=False)" if stack.osmem_pid else f"OPENSEARCH_URL {stack.os_url}"
    if args.engine == "opensearch" and stack.osmem_pid:
        from src.adapters.embedded.opensearch_dist import choose, find_jdks

        version, jdk = choose(find_jdks())
        osmem = f"OpenSearch {version} (single node, Java {jdk.feature}, heap {args.heap})"
    sqs = "moto server" if stack.pids.get("moto") else f"AWS_ENDPOINT_URL {stack.aws_url}"
    lines = [
        "## Search benchmark",
        "",
        f"Command: `{command}` (whole run {run_seconds / 60:.1f} min).",
        "",
        f"Machine: {machine()}; PostgreSQL {server_version(stack.backing.owner_url)}"
        f" ({'DATABASE_URL' if os.environ.get('DATABASE_URL') else 'embedded'}); {osmem}; SQS: {sqs}; one uvicorn"
        " worker (uvloop, httptools); one index worker process with default settings"
        f" (index_consumers={worker_cfg['index_consumers']}, receive_wait_seconds={worker_cfg['receive_wait_seconds']},"
        f" SQS visibility timeout {worker_cfg['visibility_timeout']} s,"
        " receives of up to 10 messages, one bulk request per receive in chunks of 2000). Everything shares the same"
        " cores, including this script; the machine is shared and noisy, so figures vary run to run."
        " Cores used by other processes just before each phase (after waiting up to"
        f" {args.quiet_wait:g} s for a quiet moment): "
        + (", ".join(f"{k} {v:.2f}" for k, v in background.items()) or "n/a")
        + "; the CPU columns show `other` during each phase.",
        "",
        "| Measure | Result | Target |",
        "|---|---:|---|",
    ]
    if lat is not None:
        p95 = pct(lat.visible, 95)
        lines.append(
            f"| Ingest→searchable latency p50 / p95 ({lat.sent_rate:.0f} events/s) | {ms(pct(lat.visible, 50))} / "
            f"{ms(p95)} ms | p95 < 2000 ms: {mark(p95 < 2 and lat.missing == 0)} |"
        )
    if thr is not None:
        ratio = thr.pipeline_rate / thr.raw_rate
        lines.append(
            f"| Indexing throughput pipeline / raw async_bulk | {thr.pipeline_rate:,.0f} / {thr.raw_rate:,.0f}"
            f" events/s = **{ratio:.2f}**"
            + (
                f" (vs raw x{thr.raw_parallel} in flight: {thr.events / thr.raw_parallel_seconds:,.0f} events/s ="
                f" {thr.pipeline_rate * thr.raw_parallel_seconds / thr.events:.2f})"
                if thr.raw_parallel_seconds
                else ""
            )
            + f" | >= 0.70: {mark(ratio >= 0.7)} |"
        )
    for q in queries:
        n = load.loaded if load else 0
        docs = load.index_total if load else 0
        lines.append(
            f"| Search `{q.kind}` p50 / p95 at {n:,} tenant events ({docs:,} in the index) | {ms(pct(q.latencies, 50))} / "
            f"{ms(pct(q.latencies, 95))} ms | - |"
        )
    if load is not None:
        lines.append(
            f"| osmem RSS after loading {load.loaded:,} events (+ earlier phases) | {fmt_mib(load.rss_after)} | - |"
        )

    if lat is not None:
        lines += [
            "",
            "### 1. Ingest → searchable latency",
            "",
            f"{lat.batches} bulk requests of {args.latency_batch} events every {args.latency_batch / args.latency_rate * 1000:.0f} ms"
            f" for {lat.seconds:.1f} s ({lat.events} events, {lat.sent_rate:.0f} events/s), after a 3 s untimed warm-up."
            f" Each event's message carries its own marker word and its batch's; the batch marker is polled"
            f" (`GET /api/v1/logs?q=<batch marker>&page_size=50`) every {lat.poll_interval * 1000:.0f} ms from the"
            f" 201 until every event of the batch is returned ({lat.polls} polls). Latency is measured to the poll"
            f" *response*, so it includes up to one poll interval plus a search round trip.",
            "",
            "| Interval (per event unless noted) | n | p50 ms | p95 ms | max ms |",
            "|---|---:|---:|---:|---:|",
            f"| 201 received → first poll response containing it | {len(lat.visible)} | {ms(pct(lat.visible, 50))} "
            f"| {ms(pct(lat.visible, 95))} | {ms(max(lat.visible, default=float('nan')))} |",
            f"| 201 received → its task `finished_at` (server clock) | {len(lat.to_finished)} | {ms(pct(lat.to_finished, 50))} "
            f"| {ms(pct(lat.to_finished, 95))} | {ms(max(lat.to_finished, default=float('nan')))} |",
            f"| per task: 201 → worker `started_at` | {len(lat.to_started)} | {ms(pct(lat.to_started, 50))} "
            f"| {ms(pct(lat.to_started, 95))} | {ms(max(lat.to_started, default=float('nan')))} |",
            f"| per task: `created_at` (ingest tx) → `started_at` (SQS hop + long poll) | {len(lat.queue_wait)} "
            f"| {ms(pct(lat.queue_wait, 50))} | {ms(pct(lat.queue_wait, 95))} | {ms(max(lat.queue_wait, default=float('nan')))} |",
            f"| per task, committed with no task in flight: `created_at` → `started_at` | {len(lat.idle_hop)} "
            f"| {ms(pct(lat.idle_hop, 50))} | {ms(pct(lat.idle_hop, 95))} | {ms(max(lat.idle_hop, default=float('nan')))} |",
            f"| per task: `started_at` → `finished_at` (fetch + bulk + mark) | {len(lat.index_time)} "
            f"| {ms(pct(lat.index_time, 50))} | {ms(pct(lat.index_time, 95))} | {ms(max(lat.index_time, default=float('nan')))} |",
            f"| bulk request round trip (the 201 itself) | {len(lat.ingest_rtt)} | {ms(pct(lat.ingest_rtt, 50))} "
            f"| {ms(pct(lat.ingest_rtt, 95))} | {ms(max(lat.ingest_rtt, default=float('nan')))} |",
            "",
            f"Events never seen within 30 s: {lat.missing}. Reindex tasks: {lat.tasks} for {lat.batches} requests."
            f" Per-event marker check (`q=<event marker>` returns exactly that event): {lat.marker_checks}."
            f" CPU (cores): {lat.cpu}.",
        ]
        lines += [
            "",
            f"The worker's own `_bulk` requests during the phase (its log, {len(lat.bulk_times)} requests): p50"
            f" {ms(pct(lat.bulk_times, 50))} ms, p95 {ms(pct(lat.bulk_times, 95))} ms, max"
            f" {ms(max(lat.bulk_times, default=float('nan')))} ms. A probe thread in this script timing a tiny"
            f" `_count` against OpenSearch every 100 ms ({len(lat.probe_times)} requests): p50"
            f" {ms(pct(lat.probe_times, 50))} ms, p95 {ms(pct(lat.probe_times, 95))} ms, max"
            f" {ms(max(lat.probe_times, default=float('nan')))} ms (stalls seen by both come from the search"
            " backend or the machine, not from the worker).",
        ]
        hop = pct(lat.idle_hop, 95)
        queued = pct(lat.queue_wait, 95)
        verdict = (
            "the long poll returns as soon as a message arrives and adds no measurable latency"
            if hop < 0.5
            else "the long poll DOES add latency"
        )
        lines += [
            "",
            f"Long poll: each consumer waits up to `receive_wait_seconds` ({worker_cfg['receive_wait_seconds']} s) per"
            f" ReceiveMessage. For the {len(lat.idle_hop)} tasks committed while no task was in flight,"
            " `created_at` → `started_at` (ingest"
            f" transaction + publish + SQS + the worker's start UPDATE) is p95 {ms(hop)} ms, so {verdict}."
            f" Over all tasks that hop is p95 {ms(queued)} ms: the rest is waiting for a free consumer (each of the"
            f" {worker_cfg['index_consumers']} consumers receives, indexes and acknowledges one batch at a time, so"
            " slow bulk requests delay the messages that arrive meanwhile).",
        ]

    if thr is not None:
        ratio = thr.pipeline_rate / thr.raw_rate
        spawn_ratio = thr.pipeline_spawn_rate / thr.raw_rate
        mean_receive = sum(thr.receives) / len(thr.receives) if thr.receives else float("nan")
        lines += [
            "",
            "### 2. Indexing throughput",
            "",
            f"{thr.events:,} events (bench/ingest.py's generator: ~100-200-character messages, nested attributes)."
            f" Raw: the same events as `LogEvent`s with a fresh tenant id, `opensearchpy.helpers.async_bulk`"
            f" with the adapter's action shape (`to_document`, `index_name`, `_routing`), chunk {OS_CHUNK}, one"
            f" request in flight, timed to an OpenSearch count of {thr.events:,}. Pipeline: the same events posted"
            f" to `POST /api/v1/logs/bulk` ({args.ingest_batch}/request, {args.ingest_clients} clients, worker stopped:"
            f" {thr.ingest_seconds:.1f} s), then the worker started and timed to an OpenSearch count of {thr.events:,}"
            f" for the tenant (polled every 250 ms).",
            "",
            "| Path | Seconds | Events/s | vs raw | CPU (cores) |",
            "|---|---:|---:|---:|---|",
            f"| raw async_bulk (1 request in flight) | {thr.raw_seconds:.2f} | {thr.raw_rate:,.0f} | 1.00 | {thr.raw_cpu} |",
            *(
                [
                    f"| raw async_bulk x{thr.raw_parallel} (same events split, {thr.raw_parallel} requests in flight)"
                    f" | {thr.raw_parallel_seconds:.2f} | {thr.events / thr.raw_parallel_seconds:,.0f}"
                    f" | {thr.raw_seconds / thr.raw_parallel_seconds:.2f} | {thr.raw_parallel_cpu} |"
                ]
                if thr.raw_parallel_seconds
                else []
            ),
            f"| pipeline, first task started → all searchable | {thr.pipeline_seconds:.2f} | {thr.pipeline_rate:,.0f}"
            f" | **{ratio:.2f}** | {thr.pipeline_cpu} |",
            f"| pipeline, worker spawn → all searchable (incl. {thr.startup_seconds:.1f} s start-up) "
            f"| {thr.pipeline_spawn_seconds:.2f} | {thr.pipeline_spawn_rate:,.0f} | {spawn_ratio:.2f} | same run |",
            "",
            f"Tasks: {thr.tasks}, messages in the index queue when the worker started: {thr.queued_at_start}"
            f" (log ids per task min/max/mean {thr.ids_per_task[0]}/{thr.ids_per_task[1]}/"
            f"{thr.ids_per_task[2]:.0f}, attempts in total {thr.attempts}); worker receives with work:"
            f" {len(thr.receives)}, {mean_receive:,.0f} events per bulk on average; per-task"
            f" started→finished p50 {pct(thr.index_spans, 50):.1f} s, max {thr.max_span:.1f} s (the queue's"
            f" visibility timeout is {worker_cfg['visibility_timeout']} s). Tasks started more than once:"
            f" {thr.redelivered}; events sent to OpenSearch by the worker: {thr.indexed_by_worker:,} for"
            f" {thr.events:,} ({thr.indexed_by_worker / thr.events - 1:+.0%} redundant). The outbox relay published"
            f" {thr.relayed} messages again during the pipeline (it republishes never-started tasks older than"
            f" relay_stale_seconds={worker_cfg['relay_stale_seconds']:g} s, which includes tasks still waiting in"
            " the queue).",
        ]
        if thr.failures:
            lines += [
                "",
                f"The worker logged {len(thr.failures)} failed task attempt(s) (retried through SQS after the"
                f" visibility timeout), e.g. `{thr.failures[0][:300]}`.",
            ]

    if load is not None:
        lines += [
            "",
            "### 3. Search latency at scale",
            "",
            f"A fresh tenant (created through the admin API) was loaded **directly**: COPY into PostgreSQL"
            f"{' (skipped)' if args.skip_pg_load else ''} and raw `async_bulk` into OpenSearch ({args.load_concurrency}"
            f" bulk requests in flight, chunks of {OS_CHUNK}), in rounds of {args.load_chunk:,} generated events spread"
            f" over the last 24 h. This measures query latency, not ingest. Target {load.target:,}; loaded"
            f" **{load.loaded:,}** in {load.seconds:.0f} s ({load.loaded / load.seconds:,.0f} events/s"
            f"{'; stopped by ' + load.stopped_by if load.stopped_by else ''}),"
            f" CPU: {load.cpu}. PostgreSQL holds {load.pg_rows:,} rows for the tenant (database"
            f" {load.pg_size_mib:,.0f} MiB). Engine RSS {fmt_mib(load.rss_before)} before, {fmt_mib(load.rss_after)} after.",
            "",
            "Queries through `GET /api/v1/logs`, one client, sequential, keep-alive, one untimed warm-up per kind"
            f" ({args.checkpoint_requests} requests per kind at a checkpoint, {args.search_requests} at the final size;"
            f" at most {args.search_budget:g} s per kind):",
            "",
            "| Tenant events | Docs in index (all tenants) | Query | Example | Requests | p50 ms | p95 ms | max ms"
            " | direct p50 / p95 ms | engine `took` p50 / p95 ms | hits (min-max) |",
            "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        sized = [*checkpoints, (load.loaded, load.index_total, queries)]
        for tenant_events, docs, found in sized:
            for q in found:
                note = " (time budget)" if q.budget_hit else ""
                lines.append(
                    f"| {tenant_events:,} | {docs:,} | {q.kind} | `{q.example}` | {len(q.latencies)}{note} "
                    f"| {ms(pct(q.latencies, 50))} | {ms(pct(q.latencies, 95))} "
                    f"| {ms(max(q.latencies, default=float('nan')))} "
                    f"| {ms(pct(q.direct, 50)) if q.direct else '-'} / {ms(pct(q.direct, 95)) if q.direct else '-'} "
                    f"| {ms(pct(q.took, 50)) if q.took else '-'} / {ms(pct(q.took, 95)) if q.took else '-'} "
                    f"| {min(q.totals, default=0):,}-{max(q.totals, default=0):,} |"
                )
        if load.rss_after is not None and load.index_total and args.engine == "osmem":
            per_doc = (load.rss_after - (rss_marks[0][1] or 0)) * 1024 / load.index_total
            lines += [
                "",
                f"osmem memory: {per_doc:,.1f} KiB of RSS per stored document ({load.index_total:,} documents,"
                f" {fmt_mib(load.rss_after)}); {load.target:,} documents would need about"
                f" {per_doc * load.target / 2**20:,.1f} GiB (machine: {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB).",
            ]
        lines += [
            "",
            "All queries answered from OpenSearch (`X-Logplane-Source: opensearch`), page_size 50, `track_total_hits`.",
        ]
    if rss_marks:
        engine = "OpenSearch" if args.engine == "opensearch" else "osmem"
        lines += ["", f"{engine} RSS: " + "; ".join(f"{name} {fmt_mib(v)}" for name, v in rss_marks) + "."]
    if args.engine == "opensearch" and getattr(args, "node_disk_mib", None) is not None:
        lines += ["", f"OpenSearch data directory after the run: {fmt_mib(args.node_disk_mib)} on disk."]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=100_000, help="events for the throughput phase (raw and pipeline)")
    p.add_argument("--search-events", type=int, default=1_000_000, help="events stored for the search phase")
    p.add_argument("--load-budget", type=float, default=120.0, help="seconds allowed for loading the search tenant")
    p.add_argument("--load-chunk", type=int, default=30_000, help="events generated and loaded per round")
    p.add_argument("--load-concurrency", type=int, default=3, help="raw bulk requests in flight while loading")
    p.add_argument("--max-osmem-rss", type=float, default=12_000, help="MiB; stop loading above this osmem RSS")
    p.add_argument("--min-free-memory", type=float, default=4_000, help="MiB; stop loading below this MemAvailable")
    p.add_argument(
        "--engine",
        choices=("osmem", "opensearch"),
        default="osmem",
        help="search engine to start when OPENSEARCH_URL is unset: osmem-server or the real OpenSearch",
    )
    p.add_argument("--heap", default="1g", help="JVM heap of the real OpenSearch (--engine opensearch)")
    p.add_argument("--skip-pg-load", action="store_true", help="load the search tenant into OpenSearch only")
    p.add_argument("--search-requests", type=int, default=200, help="requests per query kind")
    p.add_argument(
        "--checkpoints",
        type=lambda text: [int(x) for x in text.split(",") if x.strip()],
        default=[],
        help="tenant sizes at which to also measure (comma-separated; fewer requests)",
    )
    p.add_argument("--checkpoint-requests", type=int, default=30, help="requests per query kind at a checkpoint")
    p.add_argument("--search-budget", type=float, default=75.0, help="seconds allowed per query kind")
    p.add_argument("--quiet-wait", type=float, default=15.0, help="seconds to wait for a quiet machine per phase")
    p.add_argument("--latency-seconds", type=float, default=20.0)
    p.add_argument("--latency-rate", type=int, default=200, help="events per second")
    p.add_argument("--latency-batch", type=int, default=20, help="events per bulk request")
    p.add_argument("--poll-interval", type=float, default=0.05, help="seconds between polls of one batch")
    p.add_argument("--ingest-batch", type=int, default=1000, help="events per bulk request in the throughput phase")
    p.add_argument("--ingest-clients", type=int, default=4)
    p.add_argument("--skip", default="", help="comma-separated phases to skip: latency,throughput,search")
    p.add_argument("--profile", type=Path, default=None, help="py-spy the worker (latency, pipeline) into DIR")
    p.add_argument("--keep-workdir", action="store_true", help="keep the temp dir with the API and worker logs")
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "search.md", help="markdown report")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    script_setup()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    command = " ".join(["python bench/search.py", *(sys.argv[1:] if argv is None else argv)])
    workdir = Path(tempfile.mkdtemp(prefix="logplane-search-bench-"))
    run_started = time.perf_counter()
    stack: Stack | None = None
    api: ApiServer | None = None
    worker: WorkerProcess | None = None
    lat: LatencyResult | None = None
    thr: ThroughputResult | None = None
    load: LoadResult | None = None
    queries: list[QueryResult] = []
    checkpoints: list[tuple[int, int, list[QueryResult]]] = []
    background: dict[str, float] = {}
    rss_marks: list[tuple[str, float | None]] = []
    try:
        log(f"workdir {workdir}")
        stack = start_stack(workdir, args.engine, args.heap)
        rss_marks.append(("at start", rss_mib(stack.osmem_pid)))
        api = ApiServer(
            stack.backing,
            workers=1,
            log_path=workdir / "api.log",
            factory="bench.app_factory:create_app",
            extra_env=stack.env(),
        )
        worker = WorkerProcess(stack, workdir / "worker.log")
        api.wait_ready()
        log(f"API up: {api.base_url} (pid {api.pid}); index worker pid {worker.pid}")
        roots = stack.roots(api=api.pid, worker=worker.pid)

        if "latency" not in skip:
            tenant = asyncio.run(create_tenant(api.base_url, f"bench-latency-{uuid.uuid4().hex[:6]}"))
            warm = asyncio.run(create_tenant(api.base_url, f"bench-warmup-{uuid.uuid4().hex[:6]}"))
            log("latency: 3 s warm-up")
            asyncio.run(
                run_latency(
                    api.base_url,
                    warm,
                    stack.backing.owner_url,
                    seconds=3,
                    rate=args.latency_rate,
                    batch=args.latency_batch,
                    poll_interval=args.poll_interval,
                )
            )
            worker.check()
            background["latency"] = wait_for_quiet(args.quiet_wait)
            log(f"latency: {args.latency_rate} events/s for {args.latency_seconds:g} s")
            profiler = Profiler(args.profile, worker.pid, "worker-latency") if args.profile else None
            cpu = CpuMeter(roots, me="bench").start()
            phase_start = time.time()
            probe = OsProbe(stack.os_url).start()
            lat = asyncio.run(
                run_latency(
                    api.base_url,
                    tenant,
                    stack.backing.owner_url,
                    seconds=args.latency_seconds,
                    rate=args.latency_rate,
                    batch=args.latency_batch,
                    poll_interval=args.poll_interval,
                )
            )
            lat.cpu = cpu.stop().describe()
            if profiler is not None:
                profiler.stop()
            lat.bulk_times = bulk_request_times(worker.log_lines(), phase_start, time.time())
            lat.probe_times = probe.stop()
            log(
                f"latency: p50 {ms(pct(lat.visible, 50))} ms, p95 {ms(pct(lat.visible, 95))} ms, missing {lat.missing};"
                f" queue hop p95 {ms(pct(lat.queue_wait, 95))} ms [{lat.cpu}]"
            )

        if "throughput" not in skip:
            background["throughput"] = wait_for_quiet(args.quiet_wait)
            thr, worker = run_throughput(args, stack, api, worker)
            rss_marks.append((f"after throughput ({2 * args.events:,} more docs)", rss_mib(stack.osmem_pid)))

        if "search" not in skip:
            background["search"] = wait_for_quiet(args.quiet_wait)
            tenant = asyncio.run(create_tenant(api.base_url, f"bench-search-{uuid.uuid4().hex[:6]}"))
            log(f"search: loading up to {args.search_events:,} events (budget {args.load_budget:g} s)")
            loader = SearchLoader(stack, tenant.id, args)
            kinds = ["filter24", "filter", "word", "word+phrase", "stats"]
            query = functools.partial(
                run_queries, api.base_url, tenant, kinds=kinds, budget=args.search_budget, os_url=stack.os_url
            )
            for checkpoint in sorted(c for c in args.checkpoints if c < args.search_events):
                asyncio.run(loader.load_until(checkpoint))
                if loader.loaded < checkpoint:
                    break
                total = asyncio.run(index_total(stack.os_url))
                log(f"search: checkpoint at {loader.loaded:,} tenant events ({total:,} in the index)")
                found = asyncio.run(query(requests=args.checkpoint_requests))
                checkpoints.append((loader.loaded, total, found))
            asyncio.run(loader.load_until(args.search_events))
            load = asyncio.run(loader.result(asyncio.run(index_total(stack.os_url))))
            rss_marks.append((f"after the search load ({load.loaded:,})", load.rss_after))
            queries = asyncio.run(query(requests=args.search_requests))
            rss_marks.append(("after the queries (peak VmHWM)", rss_mib(stack.osmem_pid, "VmHWM")))

        node_data = workdir / "opensearch" / "data"
        if node_data.exists():
            args.node_disk_mib = sum(f.stat().st_size for f in node_data.rglob("*") if f.is_file()) / 2**20
        report = render(
            args,
            command,
            stack,
            lat,
            thr,
            load,
            queries,
            checkpoints,
            time.perf_counter() - run_started,
            rss_marks,
            background,
        )
        print(report)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n")
        log(f"wrote {args.output}")
        return 0
    finally:
        if worker is not None:
            worker.stop()
        if api is not None:
            api.stop()
        if stack is not None:
            stack.close()
        if args.keep_workdir:
            log(f"kept {workdir} (service logs)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
