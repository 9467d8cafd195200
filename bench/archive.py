#!/usr/bin/env python
"""Archive benchmark: the archive worker's step against a raw asyncpg → codec → S3 baseline.

    python bench/archive.py [--events N] [--days D] [--rounds R] [--format F] [--profile DIR | --no-profile] [--what-if]

`--format` (parquet, the default; ndjson.zst; ndjson.gz) is the archive format under test; the raw
baseline then encodes its rows with the same codec (gzip NDJSON: the stream below), so both
write byte-identical objects and the ratio measures only what archiving adds.

Self-contained: embedded PostgreSQL (or a fresh database on DATABASE_URL's server) and moto's
server (or AWS_ENDPOINT_URL); migrated to head, the archive bucket and the SQS queues created with a
per-run prefix. Then, in one process:

1. Load: a tenant created with the CreateTenant use case (the composition root's container), and N
   realistic events (bench/archive_data.py) spread over D whole UTC days ending two days ago,
   written with asyncpg `copy_records_to_table` AS THE OWNER (role `postgres`, bypassing the API:
   this benchmark measures archiving, not ingest). Then `VACUUM (ANALYZE) logs` and one untimed read
   of the tenant's rows, so every timed read starts from the same warm, hint-bitted table.
2. Archive (the real step): a cleanup is requested through the RequestCleanup use case (what
   `DELETE /api/v1/logs/cleanup?before=...` calls), which commits an `archive` task and publishes it
   to SQS; the message is received from the queue and handed to `ArchiveLogs.execute` exactly as
   the `archive` worker does (same constructor arguments from settings, settle 0 s). Timed: the whole
   `execute` (task start, streaming the rows with the server-side cursor, encoding with the
   format's codec, S3 puts, progress, SQS visibility extension, read-back verification, manifest, task finish +
   cleanup task). The verification's share is measured by timing `ArchiveLogs._verify` in a
   subclass, and S3 calls by a timing wrapper around the store; nothing in src/ is changed.
3. Raw baseline: the same rows (same SQL, same role `logplane_app` with the tenant set, so RLS
   applies alike) read with a plain asyncpg cursor, each row made a LogEvent (the adapter's own
   `archivable_event`) and encoded with the same codec (gzip NDJSON: `event_line`, gzip level 6,
   same wbits, 1,000-line chunks), and one `put_object` per UTC day to the same bucket through
   aioboto3. The raw objects are checked to be byte-identical to the archive's.
4. R rounds, alternating which of the two goes first; the best round of each is compared (the
   machine is shared and noisy; all rounds are listed). CPU per component (this process, PostgreSQL,
   moto, others) comes from /proc for each timed step; since both steps are bound by this process's
   single-threaded Python, its CPU per event gives a second, noise-robust archive/raw ratio. The
   time this process spent in garbage collection is listed per round: a full collection (~0.1 s)
   falls in one round and not the next, the main source of spread between quiet rounds.
5. If either ratio is < 0.8 (or with --profile): diagnosis probes (the same rows read into LogEvents
   by the real adapter, by the same connection with the jsonb column decoded by SQLAlchemy's codec
   as the adapter once read it, and by the baseline's read; event_line and gzip per line vs
   chunked, CPU per event), then one extra archive round under py-spy (attached to this process,
   `--idle` so waits show too; only samples inside ArchiveLogs.execute are summarised).
6. --what-if: R more archive rounds with PostgresLogReader.stream_archivable monkeypatched (in this
   process only) to the suggested driver-cursor read path, `fast_stream_archivable`.

Results: a markdown table on stdout and bench/results/archive.md (everything after the
"hand-written" marker in that file is kept across runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import gzip
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/archive.py`

from bench.archive_data import copy_records
from bench.harness import (
    ADMIN_TOKEN,
    COPY_COLUMNS,
    JWT_SECRET,
    ROOT,
    CpuMeter,
    asyncpg_dsn,
    log,
    machine,
    run_cleanups,
    server_version,
    start_moto,
    start_postgres,
    summarize_profile,
    wait_for_quiet,
    write_keeping,
)

RESULTS = ROOT / "bench" / "results" / "archive.md"
KEEP_MARKER = "<!-- hand-written analysis below this line is kept when the benchmark rewrites this file -->"
GZIP_LEVEL = 6  # what src/adapters/ndjson/archive_codecs.py uses
FORMAT = "parquet"  # --format: the archive format under test
LOAD_CHUNK = 50_000
PROBE_ROWS = 100_000  # rows each diagnosis read probe reads (the first ones of the range)
QUIET_WAIT = 8.0  # seconds to wait for a quiet machine before each timed step


def _gzip_compressor() -> Any:
    return zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)


# --------------------------------------------------------------------------------------------------
# The stack: PostgreSQL and moto
# --------------------------------------------------------------------------------------------------


@dataclass
class Stack:
    owner_url: str = ""
    aws_url: str = ""
    moto_pid: int | None = None
    pg_pid: int | None = None  # the embedded postmaster; None for DATABASE_URL
    pg_note: str = ""
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        run_cleanups(self.cleanups)


def start_stack(workdir: Path) -> Stack:
    # Settings follow production rules unless LOGPLANE_ENV=dev: give them real-length secrets.
    os.environ.setdefault("LOGPLANE_ADMIN_TOKEN", ADMIN_TOKEN)
    os.environ.setdefault("LOGPLANE_JWT_SECRET", JWT_SECRET)
    stack = Stack()
    try:
        stack.owner_url, stack.pg_pid, stack.pg_note = start_postgres(workdir, stack.cleanups)
        stack.aws_url, stack.moto_pid = start_moto(workdir, stack.cleanups)
        log(f"s3/sqs: {stack.aws_url}" + (" (embedded moto)" if stack.moto_pid else ""))
    except BaseException:
        stack.close()
        raise
    return stack


def make_settings(stack: Stack, prefix: str, part_rows: int) -> Any:
    from pydantic import SecretStr

    from src.entrypoints.settings import Settings

    settings = Settings()
    settings.database.database_url = stack.owner_url
    settings.auth.jwt_secret = SecretStr("bench-jwt-secret-" + "b" * 48)
    settings.aws.endpoint_url = stack.aws_url
    settings.aws.queue_prefix = prefix
    settings.aws.bucket = f"{prefix}archive"
    settings.aws.visibility_timeout = 300
    settings.worker.archive_settle_seconds = 0.0
    settings.worker.archive_part_rows = part_rows
    return settings


class GcMeter:
    """Time spent in garbage collection while a step runs: a full collection walks the whole heap
    (the app's modules included), ~0.1 s here, and whether a round gets one or two is chance."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2

    def start(self) -> GcMeter:
        gc.callbacks.append(self._callback)
        return self

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)


class Meter(CpuMeter):
    """The harness's CpuMeter, with our own PostgreSQL counted by process tree (other sessions on a
    shared box run their own postgres, which CpuMeter would count by name)."""

    def __init__(self, stack: Stack) -> None:
        super().__init__({"moto": stack.moto_pid, "pg": stack.pg_pid}, me="bench")
        self.own_pg = stack.pg_pid is not None

    def describe(self) -> str:
        c = self.cores
        ours = c.get("pg", 0.0) if self.own_pg else c.get("postgres", 0.0)
        parts = {"this process": c.get("bench", 0.0), "our postgres": ours, "moto": c.get("moto", 0.0)}
        parts |= {"other processes": self.others, "idle": c.get("idle", 0.0)}
        return ", ".join(f"{k} {v:.2f}" for k, v in parts.items())

    @property
    def others(self) -> float:
        c = self.cores
        return c.get("other", 0.0) + (c.get("postgres", 0.0) if self.own_pg else 0.0)


# --------------------------------------------------------------------------------------------------
# Loading the tenant's rows (owner, COPY)
# --------------------------------------------------------------------------------------------------


async def load_rows(owner_url: str, tenant_id: uuid.UUID, n: int, days: list[date]) -> tuple[float, int]:
    """COPY N generated rows as the owner; returns (seconds, table bytes)."""
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        await conn.execute("SELECT logplane_ensure_log_partitions($1, $2)", days[0], days[-1])
        started = time.perf_counter()
        rows = copy_records(n, tenant_id, days=days)
        loaded = 0
        while chunk := list(islice(rows, LOAD_CHUNK)):
            await conn.copy_records_to_table("logs", records=chunk, columns=COPY_COLUMNS)
            loaded += len(chunk)
            if loaded % (LOAD_CHUNK * 2) == 0:
                log(f"load: {loaded:,} rows")
        seconds = time.perf_counter() - started
        await conn.execute("VACUUM (ANALYZE) logs")
        # One untimed read of every row (heap included), so all timed reads start equally warm.
        await conn.fetchval(
            "SELECT sum(length(message) + length(attributes::text)) FROM logs WHERE tenant_id = $1", tenant_id
        )
        size = int(
            await conn.fetchval(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'logs'::regclass"
            )
        )
        count = int(await conn.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", tenant_id))
        if count != n:
            raise RuntimeError(f"loaded {count} rows, expected {n}")
        return seconds, size
    finally:
        await conn.close()


def archive_sql() -> str:
    from src.adapters.postgres.log_reader import ARCHIVABLE_SQL

    return ARCHIVABLE_SQL  # the statement PostgresLogReader.stream_archivable runs


async def app_connection(owner_url: str) -> asyncpg.Connection:
    from src.adapters.postgres.engine import APP_ROLE

    return await asyncpg.connect(asyncpg_dsn(owner_url), server_settings={"role": APP_ROLE, "timezone": "UTC"})


async def explain(owner_url: str, tenant_id: uuid.UUID, before: datetime) -> str:
    conn = await app_connection(owner_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('logplane.tenant_id', $1, true)", str(tenant_id))
            rows = await conn.fetch("EXPLAIN (COSTS OFF) " + archive_sql(), tenant_id, before, datetime.now(UTC))
        return "\n".join(r[0] for r in rows)
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------------------
# Archive step (real use case, instrumented from outside)
# --------------------------------------------------------------------------------------------------


class TimedStore:
    """Wraps the real S3ArchiveStore; records each put/get (op, key, seconds, bytes)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, float, int]] = []

    async def put(self, *, key: str, chunks: Any, content_type: str) -> int:
        started = time.perf_counter()
        size: int = await self.inner.put(key=key, chunks=chunks, content_type=content_type)
        self.calls.append(("put", key, time.perf_counter() - started, size))
        return size

    async def get(self, *, key: str) -> bytes | None:
        started = time.perf_counter()
        data: bytes | None = await self.inner.get(key=key)
        self.calls.append(("get", key, time.perf_counter() - started, len(data or b"")))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def seconds(self, op: str, *, manifests: bool) -> float:
        return sum(s for o, k, s, _ in self.calls if o == op and ("/manifests/" in k) == manifests)


def timed_archive_class() -> type:
    from src.usecases.archive_logs import ArchiveLogs

    class TimedArchiveLogs(ArchiveLogs):
        """ArchiveLogs unchanged, plus the wall time of the read-back verification."""

        verify_seconds = 0.0

        async def _verify(self, manifest: Any) -> None:
            started = time.perf_counter()
            try:
                await super()._verify(manifest)
            finally:
                self.verify_seconds += time.perf_counter() - started

    return TimedArchiveLogs


@dataclass(kw_only=True)
class Run:
    """One timed archive step: what it wrote, and the cores it used."""

    seconds: float
    rows: int
    objects: int
    bytes: int
    raw_bytes: int
    put: float
    cpu: dict[str, float]
    cpu_text: str
    sha_by_day: dict[str, str]
    gc_seconds: float = 0.0  # this process's garbage collections during the step
    gc_full: int = 0  # of which full (generation 2) collections: the costly ones, 0-2 a round

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    @property
    def cpu_us(self) -> float:
        """This process's CPU per event during the step (robust to other load on the machine)."""
        return self.cpu.get("bench", 0.0) * self.seconds / self.rows * 1e6


@dataclass(kw_only=True)
class ArchiveRun(Run):
    verify: float
    readback_get: float
    manifest: float


async def archive_round(container: Any, tenant_id: uuid.UUID, before: datetime, stack: Stack) -> ArchiveRun:
    from src.domain.credentials import Principal, Scope
    from src.domain.tasks import TaskStatus
    from src.usecases.archive_logs import QUEUE

    settings = container.settings
    principal = Principal(tenant_id=tenant_id, subject="bench", scopes=frozenset({Scope.ADMIN}), via="api_key")
    task = await container.request_cleanup.execute(principal=principal, before=before)
    message = None
    for attempt in range(20):
        if attempt in (5, 10, 15):
            # On a busy machine the request's publish may time out (the relay would send it; none runs here).
            await container.publish.after_commit([task])
        for m in await container.queue.receive(queue=QUEUE, wait_seconds=1):
            if m.body.get("task_id") == str(task.task_id):
                message = m
            else:
                log(f"unexpected archive message {m.body}")
        if message is not None:
            break
    if message is None:
        raise RuntimeError(f"the archive task {task.task_id} never arrived on the queue")
    store = TimedStore(container.archive_store)
    from src.domain.archive import ArchiveFormat
    from src.entrypoints.bootstrap import make_archive_codecs

    archive = timed_archive_class()(
        container.uow,
        store,
        container.queue,
        container.publish,
        codecs=make_archive_codecs(),
        default_format=ArchiveFormat(FORMAT),
        max_receive_count=settings.aws.max_receive_count,
        part_rows=settings.worker.archive_part_rows,
        settle=timedelta(seconds=settings.worker.archive_settle_seconds),
        visibility_seconds=settings.aws.visibility_timeout,
    )
    wait_for_quiet(QUIET_WAIT)
    cpu, collected = Meter(stack).start(), GcMeter().start()
    started = time.perf_counter()
    acked = await archive.execute(message)
    seconds = time.perf_counter() - started
    cpu.stop()
    collected.stop()
    if not acked:
        raise RuntimeError("ArchiveLogs.execute did not succeed (see the warnings above)")
    await container.queue.ack(queue=QUEUE, receipts=[message.receipt])
    async with container.uow() as uow:
        await uow.act_as_tenant(tenant_id)
        done = await uow.tasks.get(tenant_id=tenant_id, task_id=task.task_id)
    if done is None or done.status != TaskStatus.SUCCEEDED:
        raise RuntimeError(f"archive task not succeeded: {done}")
    result = done.result
    manifest = orjson.loads(await container.archive_store.get(key=result["manifest_key"]))
    sha_by_day = {o["date"]: o["sha256"] for o in manifest["objects"]}
    return ArchiveRun(
        seconds=seconds,
        rows=int(result["rows_archived"]),
        objects=int(result["objects"]),
        bytes=int(result["bytes"]),
        raw_bytes=int(result["raw_bytes"]),
        verify=archive.verify_seconds,
        put=store.seconds("put", manifests=False),
        readback_get=store.seconds("get", manifests=False),
        manifest=store.seconds("put", manifests=True) + store.seconds("get", manifests=True),
        cpu=cpu.cores | {"others": cpu.others},
        cpu_text=cpu.describe(),
        sha_by_day=sha_by_day if len(sha_by_day) == len(manifest["objects"]) else {},
        gc_seconds=collected.seconds,
        gc_full=collected.full,
    )


# --------------------------------------------------------------------------------------------------
# Raw baseline: asyncpg cursor → event_line → gzip → put_object per day
# --------------------------------------------------------------------------------------------------


class RawRun(Run):
    """One round of the raw baseline (what ArchiveLogs is measured against)."""


async def raw_round(s3: Any, bucket: str, tenant_id: uuid.UUID, before: datetime, stack: Stack, run: str) -> RawRun:
    from src.adapters.postgres.log_reader import archivable_event
    from src.domain.archive import event_line

    sql = archive_sql()
    conn = await app_connection(stack.owner_url)
    rows = raw_bytes = total_bytes = 0
    put_seconds = 0.0
    sha_by_day: dict[str, str] = {}

    from src.domain.archive import ArchiveFormat
    from src.entrypoints.bootstrap import make_archive_codecs

    codec = make_archive_codecs()[ArchiveFormat(FORMAT)]
    gzip_stream = codec.archive_format is ArchiveFormat.NDJSON_GZIP
    writer = codec.writer(tenant_id=tenant_id)

    async def flush(day: date, compressor: Any, chunks: list[bytes]) -> None:
        nonlocal total_bytes, put_seconds, writer
        if gzip_stream:
            chunks.append(compressor.flush())
            data = b"".join(chunks)
        else:
            data, writer = writer.finish(), codec.writer(tenant_id=tenant_id)
        started = time.perf_counter()
        await s3.put_object(
            Bucket=bucket,
            Key=f"bench-raw/{run}/{day.isoformat()}.{FORMAT}",
            Body=data,
            ContentType=codec.content_type,
        )
        put_seconds += time.perf_counter() - started
        total_bytes += len(data)
        sha_by_day[day.isoformat()] = hashlib.sha256(data).hexdigest()

    try:
        wait_for_quiet(QUIET_WAIT)
        cpu, collected = Meter(stack).start(), GcMeter().start()
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute("SELECT set_config('logplane.tenant_id', $1, true)", str(tenant_id))
            day: date | None = None
            compressor = _gzip_compressor()
            chunks: list[bytes] = []
            lines: list[bytes] = []
            received_before = datetime.now(UTC)
            async for r in conn.cursor(sql, tenant_id, before, received_before, prefetch=2000):
                event = archivable_event(r, tenant_id)  # as the adapter builds it
                event_day = event.timestamp.astimezone(UTC).date()
                if event_day != day:
                    if day is not None:
                        chunks.append(compressor.compress(b"".join(lines)))
                        await flush(day, compressor, chunks)
                        compressor, chunks = _gzip_compressor(), []
                    day, lines = event_day, []
                rows += 1
                if not gzip_stream:
                    raw_bytes += writer.add(event)  # the codec answers the line's size
                    continue
                line = event_line(event)
                raw_bytes += len(line)
                lines.append(line)
                if len(lines) >= 1000:
                    chunks.append(compressor.compress(b"".join(lines)))
                    lines = []
            if day is not None:
                chunks.append(compressor.compress(b"".join(lines)))
                await flush(day, compressor, chunks)
        seconds = time.perf_counter() - started
        cpu.stop()
        collected.stop()
    finally:
        await conn.close()
    return RawRun(
        seconds=seconds,
        rows=rows,
        objects=len(sha_by_day),
        bytes=total_bytes,
        raw_bytes=raw_bytes,
        put=put_seconds,
        cpu=cpu.cores | {"others": cpu.others},
        cpu_text=cpu.describe(),
        sha_by_day=sha_by_day,
        gc_seconds=collected.seconds,
        gc_full=collected.full,
    )


async def empty_bucket(s3: Any, bucket: str, prefix: str) -> None:
    """Drop what the rounds wrote, so moto's memory stays flat across rounds."""
    paginator = s3.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            await s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


# --------------------------------------------------------------------------------------------------
# Compressibility: what bounds the ratio on these events
# --------------------------------------------------------------------------------------------------


@dataclass
class Compressibility:
    sample_rows: int
    levels: dict[int, float]  # gzip level -> ratio
    without_ids: float  # ratio at level 6 with id/trace_id/span_id removed from every line
    id_bytes_per_event: float  # gzip bytes per event of the id/trace_id/span_id values alone


async def compressibility(s3: Any, bucket: str, key: str) -> Compressibility:
    response = await s3.get_object(Bucket=bucket, Key=key)
    async with response["Body"] as body:
        raw = gzip.decompress(await body.read())
    lines = raw.splitlines()[:60_000]
    sample = b"\n".join(lines) + b"\n"

    def ratio(data: bytes, level: int) -> float:
        c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return len(data) / len(c.compress(data) + c.flush())

    levels = {level: ratio(sample, level) for level in (1, 6, 9)}
    stripped, ids = [], []
    for line in lines:
        event = orjson.loads(line)
        ids.append(f"{event.pop('id')}{event.pop('trace_id') or ''}{event.pop('span_id') or ''}".encode())
        stripped.append(orjson.dumps(event))
    ids_gz = zlib.compress(b"\n".join(ids), GZIP_LEVEL)
    return Compressibility(
        sample_rows=len(lines),
        levels=levels,
        without_ids=ratio(b"\n".join(stripped) + b"\n", GZIP_LEVEL),
        id_bytes_per_event=len(ids_gz) / len(lines),
    )


def fast_stream_archivable() -> Any:
    """What-if (--what-if): PostgresLogReader.stream_archivable as the suggested fix would write it.

    Same statement, same UoW connection and transaction (so the tenant setting and RLS hold), but
    rows come from the asyncpg driver cursor with a 2000-row prefetch instead of SQLAlchemy's
    AsyncResult (50-row fetches, a greenlet per row, RowMapping), and LogEvent is built from the
    Record without `as_uuid`'s str round trip (`tenant_id` is the argument). Installed only in this
    process, for one extra round. src/ has since adopted this read path: the events are built by its
    own `archivable_event`, so the what-if and the adapter share one row builder.
    """
    from src.adapters.postgres.log_reader import archivable_event

    sql = archive_sql()

    async def stream_archivable(self: Any, *, tenant_id: uuid.UUID, before: datetime, received_before: datetime) -> Any:
        raw = await self._conn.get_raw_connection()
        async for r in raw.driver_connection.cursor(sql, tenant_id, before, received_before, prefetch=2000):
            yield archivable_event(r, tenant_id)

    return stream_archivable


# --------------------------------------------------------------------------------------------------
# Profiling one extra archive round (py-spy attached to this very process)
# --------------------------------------------------------------------------------------------------


class SelfProfiler:
    def __init__(self, out: Path) -> None:
        self.out = out
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.proc = subprocess.Popen(
            [
                *(spy, "record", "--pid", str(os.getpid()), "--rate", "250", "--idle", "--format", "raw"),
                *("--duration", "600", "--output", str(out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.5)  # let it attach
        if self.proc.poll() is not None:
            raise RuntimeError(f"py-spy failed: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if not self.out.exists():
            return "(py-spy wrote no profile)"
        # Keep only the samples inside the timed step (not the attach wait nor the quiet wait).
        inside = [line for line in self.out.read_text().splitlines() if "ArchiveLogs.execute (" in line]
        step = self.out.with_name(self.out.stem + "-step.txt")
        step.write_text("\n".join(inside) + "\n")
        return summarize_profile(step, top=18)


# --------------------------------------------------------------------------------------------------
# Diagnosis: where the archive step's extra time goes (read path, serialisation, gzip)
# --------------------------------------------------------------------------------------------------


@dataclass
class Probe:
    name: str
    seconds: float  # best wall time
    cpu_us: float  # this process's CPU per row, best run


def jsonb_event(r: Any, tenant_id: uuid.UUID) -> Any:
    """`archivable_event` as it was when the statement read the jsonb column itself (the dict made by
    the connection's codec)."""
    from src.domain.logs import LogEvent
    from src.domain.severity import Severity

    return LogEvent(
        id=uuid.UUID(bytes=r[0].bytes),
        tenant_id=tenant_id,
        timestamp=r[2],
        received_at=r[3],
        severity=Severity(r[4]),
        service=r[5],
        message=r[6],
        host=r[7],
        user_id=r[8],
        action=r[9],
        trace_id=r[10],
        span_id=r[11],
        attributes=r[12],
        client_id=r[13],
    )


async def read_probes(container: Any, owner_url: str, tenant_id: uuid.UUID, before: datetime) -> list[Probe]:
    """Ways to read the same rows into LogEvents, with nothing else done to them: the adapter as
    ArchiveLogs reads, the same UoW connection with the statement's jsonb column as it was before
    (decoded by SQLAlchemy's asyncpg codec: a Python callback around the engine's `json_deserializer`,
    the stdlib `json.loads` until engines took orjson), and the
    baseline's read."""
    from src.adapters.postgres.log_reader import archivable_event

    sql = archive_sql()
    jsonb_sql = sql.replace("attributes::text", "attributes")

    async def adapter() -> int:
        n = 0
        async with container.uow() as uow:
            await uow.act_as_tenant(tenant_id)
            async for _ in uow.reader.stream_archivable(
                tenant_id=tenant_id, before=before, received_before=datetime.now(UTC)
            ):
                n += 1
                if n >= PROBE_ROWS:
                    break
        return n

    async def jsonb_column() -> int:
        n = 0
        async with container.uow() as uow:
            await uow.act_as_tenant(tenant_id)
            raw = await uow._conn.get_raw_connection()
            cursor = raw.driver_connection.cursor(jsonb_sql, tenant_id, before, datetime.now(UTC), prefetch=2000)
            async for r in cursor:
                jsonb_event(r, tenant_id)
                n += 1
                if n >= PROBE_ROWS:
                    break
        return n

    async def baseline() -> int:
        n = 0
        conn = await app_connection(owner_url)
        try:
            async with conn.transaction():
                await conn.execute("SELECT set_config('logplane.tenant_id', $1, true)", str(tenant_id))
                async for r in conn.cursor(sql, tenant_id, before, datetime.now(UTC), prefetch=2000):
                    archivable_event(r, tenant_id)
                    n += 1
                    if n >= PROBE_ROWS:
                        break
        finally:
            await conn.close()
        return n

    probes = []
    for name, fn in (("adapter", adapter), ("jsonb", jsonb_column), ("baseline", baseline)):
        walls, cpus = [], []
        for _ in range(2):
            wait_for_quiet(QUIET_WAIT / 4)
            started, cpu = time.perf_counter(), time.process_time()
            rows = await fn()
            walls.append(time.perf_counter() - started)
            cpus.append((time.process_time() - cpu) / rows * 1e6)
        probes.append(Probe(name, min(walls), min(cpus)))
        log(f"read probe {name}: {min(walls):.2f} s, {min(cpus):.1f} us CPU/row")
    return probes


async def serialise_probes(container: Any, tenant_id: uuid.UUID, before: datetime, n: int = 50_000) -> dict[str, float]:
    """CPU µs per event of event_line and of gzip as _Part.add does it (per line) and in 1000-line chunks."""
    from src.domain.archive import event_line

    events = []
    async with container.uow() as uow:
        await uow.act_as_tenant(tenant_id)
        async for event in uow.reader.stream_archivable(
            tenant_id=tenant_id, before=before, received_before=datetime.now(UTC)
        ):
            events.append(event)
            if len(events) >= n:
                break

    def best(fn: Callable[[], Any]) -> float:
        times = []
        for _ in range(3):
            started = time.process_time()
            fn()
            times.append(time.process_time() - started)
        return min(times) / len(events) * 1e6

    lines = [event_line(e) for e in events]

    def per_line() -> None:
        c = _gzip_compressor()
        [c.compress(line) for line in lines]
        c.flush()

    def chunked() -> None:
        c = _gzip_compressor()
        [c.compress(b"".join(lines[i : i + 1000])) for i in range(0, len(lines), 1000)]
        c.flush()

    return {
        "event_line": best(lambda: [event_line(e) for e in events]),
        "gzip per line": best(per_line),
        "gzip 1000-line chunks": best(chunked),
    }


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


@dataclass
class Results:
    events: int
    days: list[date]
    before: datetime
    load_seconds: float
    table_mib: float
    plan: str
    archive: list[ArchiveRun] = field(default_factory=list)
    raw: list[RawRun] = field(default_factory=list)
    identical: bool = False
    comp: Compressibility | None = None
    profile: str = ""
    profiled_seconds: float = 0.0
    profile_path: str = ""
    probes: list[Probe] = field(default_factory=list)
    what_if: list[ArchiveRun] = field(default_factory=list)
    serialise: dict[str, float] = field(default_factory=dict)

    @property
    def best_archive(self) -> ArchiveRun:
        return min(self.archive, key=lambda r: r.seconds)

    @property
    def best_raw(self) -> RawRun:
        return min(self.raw, key=lambda r: r.seconds)

    @property
    def ratio(self) -> float:
        return self.best_archive.rate / self.best_raw.rate

    @property
    def cpu_ratio(self) -> float:
        """archive/raw throughput as this process's CPU allows it: raw CPU per event / archive's (best each)."""
        return min(r.cpu_us for r in self.raw) / min(a.cpu_us for a in self.archive)


async def run(args: argparse.Namespace, stack: Stack) -> Results:
    import aioboto3

    from src.adapters.s3.provision import ensure_bucket
    from src.adapters.sqs.provision import ensure_queues
    from src.entrypoints.bootstrap import build_container
    from src.usecases.create_tenant import CreateTenantRequest

    prefix = f"bench{uuid.uuid4().hex[:6]}-"
    settings = make_settings(stack, prefix, args.part_rows)
    session = aioboto3.Session()
    await ensure_bucket(session, endpoint_url=stack.aws_url, bucket=settings.aws.bucket, region=settings.aws.region)
    await ensure_queues(session, endpoint_url=stack.aws_url, prefix=prefix, visibility_timeout=300)
    container = build_container(settings)
    try:
        async with session.client("s3", endpoint_url=stack.aws_url) as s3:
            created = await container.create_tenant.execute(CreateTenantRequest(name=f"bench-archive-{prefix[5:11]}"))
            tenant_id = created.tenant.id
            today = datetime.now(UTC).date()
            days = [today - timedelta(days=2 + i) for i in reversed(range(args.days))]
            before = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=1)
            log(f"load: {args.events:,} events over {days[0]}..{days[-1]} (COPY as the owner)")
            load_seconds, table_bytes = await load_rows(stack.owner_url, tenant_id, args.events, days)
            log(f"load: done in {load_seconds:.1f} s ({args.events / load_seconds:,.0f} rows/s incl. generation)")
            results = Results(
                events=args.events,
                days=days,
                before=before,
                load_seconds=load_seconds,
                table_mib=table_bytes / 2**20,
                plan=await explain(stack.owner_url, tenant_id, before),
            )
            # Open the long-lived clients the worker would already hold (S3 client, SQS queue URL).
            await container.archive_store.ping()
            for i in range(args.rounds):
                order = ("raw", "archive") if i % 2 == 0 else ("archive", "raw")
                for which in order:
                    if which == "raw":
                        r = await raw_round(s3, settings.aws.bucket, tenant_id, before, stack, f"r{i}")
                        results.raw.append(r)
                        log(
                            f"round {i + 1} raw:     {r.rows:,} rows in {r.seconds:.2f} s = {r.rate:,.0f}/s ({r.cpu_text})"
                        )
                    else:
                        a = await archive_round(container, tenant_id, before, stack)
                        results.archive.append(a)
                        log(
                            f"round {i + 1} archive: {a.rows:,} rows in {a.seconds:.2f} s = {a.rate:,.0f}/s, "
                            f"verify {a.verify:.2f} s ({a.cpu_text})"
                        )
                if i == 0:
                    first_raw, first_archive = results.raw[-1], results.archive[-1]
                    results.identical = bool(first_raw.sha_by_day) and first_raw.sha_by_day == first_archive.sha_by_day
                    if FORMAT == "ndjson.gz":  # the gzip-level analysis reads gzip NDJSON
                        results.comp = await compressibility(
                            s3, settings.aws.bucket, f"bench-raw/r0/{min(first_raw.sha_by_day)}.ndjson.gz"
                        )
                await empty_bucket(s3, settings.aws.bucket, "")
            for a in results.archive:
                if a.rows != args.events:
                    raise RuntimeError(f"archive saw {a.rows} rows, expected {args.events}")
            for r in results.raw:
                if r.rows != args.events:
                    raise RuntimeError(f"raw baseline saw {r.rows} rows, expected {args.events}")
            log(f"archive/raw: {results.ratio:.2f} by best wall time, {results.cpu_ratio:.2f} by CPU per event")
            low = min(results.ratio, results.cpu_ratio) < 0.8
            if args.profile is not None or (low and not args.no_profile):
                log("diagnosis: read paths and serialisation, CPU per row")
                results.probes = await read_probes(container, stack.owner_url, tenant_id, before)
                results.serialise = await serialise_probes(container, tenant_id, before)
                out_dir = Path(args.profile) if args.profile else Path(tempfile.mkdtemp(prefix="archive-profile-"))
                out_dir.mkdir(parents=True, exist_ok=True)
                log(f"profiling one extra archive round with py-spy (into {out_dir})")
                profiler = SelfProfiler(out_dir / "archive.txt")
                try:
                    a = await archive_round(container, tenant_id, before, stack)
                finally:
                    results.profile = profiler.stop()
                results.profiled_seconds = a.seconds
                results.profile_path = str(out_dir / "archive-step.txt")
                print(results.profile, file=sys.stderr)
                await empty_bucket(s3, settings.aws.bucket, "")
            if args.what_if:
                from unittest import mock

                from src.adapters.postgres.log_reader import PostgresLogReader

                with mock.patch.object(PostgresLogReader, "stream_archivable", fast_stream_archivable()):
                    for i in range(args.rounds):
                        a = await archive_round(container, tenant_id, before, stack)
                        results.what_if.append(a)
                        log(f"what-if round {i + 1}: {a.rate:,.0f}/s, {a.cpu_us:.1f} us CPU/event ({a.cpu_text})")
                        await empty_bucket(s3, settings.aws.bucket, "")
        return results
    finally:
        await container.close()


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _round_text(x: Run) -> str:
    return f"{x.rate:,.0f} ({x.cpu_us:.1f}; {x.cpu['others']:.2f}; gc {x.gc_seconds:.2f} s, {x.gc_full} full)"


def render(results: Results, command: str, env: str) -> str:
    a, r = results.best_archive, results.best_raw
    comp = results.comp

    def pct(part: float) -> str:
        return f"{100 * part / a.seconds:.0f} %"

    rest = a.seconds - a.verify - a.put - a.manifest
    lines = [
        "# Archive benchmark",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}",
        "",
        "| metric | value |",
        "|---|---|",
        f"| events archived | {results.events:,} over {len(results.days)} UTC days ({results.days[0]} .. {results.days[-1]}), "
        f"{a.objects} objects |",
        f"| **archive step** (ArchiveLogs.execute, best of {len(results.archive)}) | **{a.rate:,.0f} events/s** "
        f"({a.seconds:.2f} s) |",
        f"| ↳ verification read-back (GET + size + SHA-256 + row count) | {a.verify:.2f} s = {pct(a.verify)} "
        f"(of which S3 GET {a.readback_get:.2f} s) |",
        f"| ↳ S3 PUT of the parts | {a.put:.2f} s = {pct(a.put)} |",
        f"| ↳ manifest (GET probe + PUT) | {a.manifest:.2f} s = {pct(a.manifest)} |",
        f"| ↳ rest: task bookkeeping + stream from PostgreSQL + LogEvent + encode | {rest:.2f} s = {pct(rest)} |",
        f"| **raw baseline** (asyncpg cursor → LogEvent → {FORMAT} codec → put_object per day, best of {len(results.raw)}) | "
        f"**{r.rate:,.0f} events/s** ({r.seconds:.2f} s, of which S3 PUT {r.put:.2f} s) |",
        f"| **archive / raw** (target ≥ 0.8), by best wall time | **{results.ratio:.2f}** (per round: "
        + ", ".join(f"{x.rate / y.rate:.2f}" for x, y in zip(results.archive, results.raw, strict=False))
        + ") |",
        f"| **archive / raw by CPU** of this process per event (best of each; robust to the other load on the box) | "
        f"**{results.cpu_ratio:.2f}** ({min(x.cpu_us for x in results.archive):.1f} µs vs "
        f"{min(x.cpu_us for x in results.raw):.1f} µs per event) |",
        f"| archive bytes per event ({FORMAT}) | {a.bytes / a.rows:.1f} B ({a.bytes / 2**20:.1f} MiB total) |",
        f"| raw NDJSON bytes per event | {a.raw_bytes / a.rows:.1f} B ({a.raw_bytes / 2**20:.1f} MiB total) |",
        f"| **compression ratio** raw NDJSON / {FORMAT} (target ≥ 10x) | **{a.raw_bytes / a.bytes:.2f}x** |",
        f"| raw baseline objects byte-identical to the archive's | {'yes' if results.identical else 'NO'} |",
        f"| CPU during the best archive step (cores) | {a.cpu_text} |",
        f"| CPU during the best raw baseline (cores) | {r.cpu_text} |",
        f"| load (generate + COPY as owner, untimed for the comparison) | {results.load_seconds:.1f} s; "
        f"partitions {results.table_mib:.0f} MiB |",
        "",
        "All rounds, events/s (CPU µs/event of this process; cores used by other processes on the box; "
        "garbage collection in this process, s, and its full collections): archive "
        + ", ".join(_round_text(x) for x in results.archive)
        + "; raw "
        + ", ".join(_round_text(x) for x in results.raw)
        + ". Rounds alternate which step goes first.",
        "",
    ]
    if comp is not None:
        lines += [
            f"Compressibility of these events (one day's objects, first {comp.sample_rows:,} lines): gzip level 1 "
            f"{comp.levels[1]:.2f}x, level 6 {comp.levels[6]:.2f}x, level 9 {comp.levels[9]:.2f}x; "
            f"level 6 with `id`, `trace_id`, `span_id` removed {comp.without_ids:.2f}x. Those three random "
            f"values alone take {comp.id_bytes_per_event:.1f} B per event compressed.",
            "",
        ]
    if results.probes:
        labels = {
            "adapter": "`PostgresLogReader.stream_archivable`, as ArchiveLogs reads (the UoW connection's asyncpg "
            "cursor, prefetch 2000, `attributes::text` + orjson, `archivable_event`)",
            "jsonb": "the same connection and cursor with the jsonb column itself, as the statement was before: "
            "SQLAlchemy's asyncpg codec decodes it (a Python callback around the engine's `json_deserializer`)",
            "baseline": "the raw baseline's read: own asyncpg connection, cursor prefetch 2000, the same statement",
        }
        lines += [
            f"Diagnosis: the first {min(results.events, PROBE_ROWS):,} rows of the range read into LogEvents and "
            "nothing else (best of 2 each):",
            "",
            "| read path | wall | CPU of this process per row |",
            "|---|---|---|",
            *(f"| {labels[p.name]} | {p.seconds:.2f} s | {p.cpu_us:.1f} µs |" for p in results.probes),
            "",
        ]
    if results.what_if:
        w = min(results.what_if, key=lambda x: x.seconds)
        cpu = min(x.cpu_us for x in results.what_if)
        lines += [
            f"What-if (`--what-if`, {len(results.what_if)} extra archive rounds, src/ unchanged on disk): "
            "`PostgresLogReader.stream_archivable` replaced in this process by a driver-cursor version "
            "(see `fast_stream_archivable`), everything else in ArchiveLogs as is: "
            f"**{w.rate:,.0f} events/s** best ({', '.join(f'{x.rate:,.0f}' for x in results.what_if)}), "
            f"{cpu:.1f} µs CPU/event; vs the best raw round **{w.rate / r.rate:.2f}** by wall time, "
            f"**{min(x.cpu_us for x in results.raw) / cpu:.2f}** by CPU.",
            "",
        ]
    if results.serialise:
        lines += [
            f"Serialisation on {min(results.events, 50_000):,} of these events, CPU per event: "
            + "; ".join(f"{k} {v:.2f} µs" for k, v in results.serialise.items())
            + " (gzip level 6; per line is what `_Part.add` does).",
            "",
        ]
    lines += ["Query plan of the archive read (as `logplane_app`, RLS on):", "", "```", results.plan, "```", ""]
    if results.profile:
        lines += [
            f"py-spy (`--idle`, 250 Hz) on one extra archive round ({results.profiled_seconds:.2f} s under the "
            f"profiler; collapsed stacks: {results.profile_path}):",
            "",
            "```",
            results.profile,
            "```",
            "",
        ]
    return "\n".join(lines)


def write_results(text: str) -> None:
    write_keeping(RESULTS, text + "\n", KEEP_MARKER)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000, help="events to load and archive (default 300,000)")
    parser.add_argument("--days", type=int, default=4, help="UTC days the events span, ending two days ago")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each (default 3; best is reported)")
    parser.add_argument("--part-rows", type=int, default=None, help="archive part size (default: settings)")
    parser.add_argument("--profile", metavar="DIR", help="always profile one extra archive round into DIR")
    parser.add_argument("--no-profile", action="store_true", help="never profile, even when the ratio is low")
    parser.add_argument(
        "--what-if", action="store_true", help="also time R archive rounds with the suggested read path (monkeypatched)"
    )
    parser.add_argument(
        "--format", choices=("parquet", "ndjson.zst", "ndjson.gz"), default="parquet", help="archive format under test"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    global FORMAT
    FORMAT = args.format
    if args.part_rows is None:
        from src.entrypoints.settings import WorkerSettings

        args.part_rows = WorkerSettings().archive_part_rows
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command = " ".join(["python bench/archive.py", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="logplane-archive-bench-"))
    stack = start_stack(workdir)
    try:
        env = f"{machine()}; PostgreSQL {server_version(stack.owner_url)} ({stack.pg_note}); " + (
            "moto server (embedded, in-memory)" if stack.moto_pid else f"S3/SQS at {stack.aws_url}"
        )
        results = asyncio.run(run(args, stack))
    finally:
        stack.close()
        shutil.rmtree(workdir, ignore_errors=True)
    text = render(results, command, env)
    print(text)
    if not args.no_write:
        write_results(text)
        log(f"wrote {RESULTS.relative_to(ROOT)}")
    log(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
