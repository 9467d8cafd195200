"""The services a benchmark runs against, started for it: PostgreSQL (embedded, or a fresh database
on `DATABASE_URL`'s server) migrated to head, Redis, moto, and the real API under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

from bench.harness.common import ADMIN_TOKEN, HOST, JWT_SECRET, ROOT, asyncpg_dsn, log
from src.entrypoints.http.ws_protocol import IMPORT_PATH as COALESCING_WEBSOCKETS

T = TypeVar("T")


def run_cleanups(cleanups: list[Callable[[], None]]) -> None:
    """Undo what was started, last first; a failing step is logged and the rest still run."""
    for cleanup in reversed(cleanups):
        try:
            cleanup()
        except Exception as e:
            log(f"cleanup failed: {type(e).__name__}: {e}")


@dataclass
class Backing:
    owner_url: str
    redis_url: str
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    pg_pid: int | None = None  # the embedded postmaster; None for DATABASE_URL
    pg_note: str = ""

    def close(self) -> None:
        run_cleanups(self.cleanups)


def start_postgres(workdir: Path, cleanups: list[Callable[[], None]]) -> tuple[str, int | None, str]:
    """(owner URL, postmaster pid or None, note) of a fresh, migrated database."""
    from src.adapters.postgres.migrate import upgrade

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
        owner_url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{rest}" if rest else "")
        owner_url = owner_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        pid, note = None, f"database {name} on DATABASE_URL's server"
    else:
        from src.adapters.embedded.postgres import start_postgres as start_embedded

        service = start_embedded(workdir / "pg" / "data")
        cleanups.append(service.stop)
        owner_url, pid, note = service.url, service.pid, f"embedded, {service.url}"
    log(f"postgres: {note}")
    upgrade(owner_url)
    return owner_url, pid, note


def start_redis(cleanups: list[Callable[[], None]]) -> str:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        from src.adapters.embedded.redis import start_redis as start_embedded

        redis = start_embedded()
        cleanups.append(redis.stop)
        redis_url = redis.url
    log(f"redis: {redis_url}")
    return redis_url


def start_moto(workdir: Path, cleanups: list[Callable[[], None]]) -> tuple[str, int | None]:
    """(S3/SQS endpoint, moto's pid or None for AWS_ENDPOINT_URL)."""
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    aws_url = os.environ.get("AWS_ENDPOINT_URL")
    if aws_url:
        return aws_url, None
    from src.adapters.embedded.moto import start_moto as start_embedded

    moto = start_embedded(log_path=workdir / "moto.log")
    cleanups.append(moto.stop)
    return moto.url, moto.pid


def start_backing(workdir: Path, *, redis: bool = True) -> Backing:
    """PostgreSQL (and Redis): what the API needs."""
    backing = Backing("", "")
    try:
        backing.owner_url, backing.pg_pid, backing.pg_note = start_postgres(workdir, backing.cleanups)
        if redis:
            backing.redis_url = start_redis(backing.cleanups)
    except BaseException:
        backing.close()
        raise
    return backing


def on_postgres(prefix: str, measure: Callable[[Backing], Coroutine[Any, Any, T]]) -> T:
    """`measure` on an event loop against a fresh, migrated PostgreSQL (no Redis) in a temporary
    directory, stopped afterwards: the in-process benchmarks' whole stack."""
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        backing = start_backing(Path(workdir), redis=False)
        try:
            return asyncio.run(measure(backing))
        finally:
            backing.close()


def die_with_parent() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(backing: Backing, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of an API or worker child: this repository importable, the backing services, `extra`."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "LOGPLANE_ENV": "bench",
        "LOGPLANE_DATABASE_URL": backing.owner_url,
        "LOGPLANE_REDIS_URL": backing.redis_url,
        "LOGPLANE_ADMIN_TOKEN": ADMIN_TOKEN,
        "LOGPLANE_JWT_SECRET": JWT_SECRET,
        **extra,
    }


class ChildProcess:
    """A child process that dies with this script, its output appended to `log_path`; `stop()` sends
    SIGTERM (a graceful drain) and kills it after `stop_wait` seconds."""

    stop_wait = 20.0

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, limit: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_bytes()[-limit:].decode(errors="replace")
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.stop_wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class ApiServer(ChildProcess):
    """The real API under uvicorn, as a child process; `stop()` sends SIGTERM (graceful drain)."""

    def __init__(
        self,
        backing: Backing,
        *,
        workers: int,
        log_path: Path,
        factory: str,
        extra_env: dict[str, str],
        ws_protocol: str = COALESCING_WEBSOCKETS,
    ) -> None:
        self.port = free_port()
        self.workers = workers
        self.base_url = f"http://{HOST}:{self.port}"
        env = service_env(backing, {"LOGPLANE_RATE_LIMIT_ENABLED": "false", **extra_env})
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
            "--ws",  # as `logplane api` serves (src/entrypoints/cli/serve.py)
            ws_protocol,
            "--log-level",
            "warning",
        ]
        if workers > 1:
            args += ["--workers", str(workers)]
        super().__init__(args, env=env, log_path=log_path)

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


@contextlib.asynccontextmanager
async def in_process_ingest(owner_url: str) -> AsyncIterator[Any]:
    """`IngestLogs` as the API builds it (group-commit writer, app engine under RLS), without HTTP:
    for the benchmarks that time the ingest path's stages in process."""
    from src.adapters.postgres.engine import make_app_engine
    from src.adapters.postgres.partitions import PostgresPartitionMaintainer
    from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
    from src.domain.event_limits import EventLimits
    from src.usecases.group_commit import GroupCommitWriter
    from src.usecases.ingest_logs import IngestLogs

    engine = make_app_engine(owner_url, pool_size=2, max_overflow=0)
    writer = GroupCommitWriter(PostgresUnitOfWorkFactory(engine), PostgresPartitionMaintainer(engine))
    try:
        yield IngestLogs(writer, limits=EventLimits())
    finally:
        await writer.close()
        await engine.dispose()


async def empty_logs(owner_url: str) -> None:
    """Every timed write starts from the same table: no rows, and a checkpoint behind it.

    A run's later phases otherwise write into a table (and indexes) grown by the earlier ones, and
    the first write after a checkpoint pays PostgreSQL's full-page images: the fastest COPY of a run
    was always its first, into the emptiest table, and the API's runs were judged against it."""
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        await conn.execute("TRUNCATE logs, log_commits")
        # DATABASE_URL as a non-superuser: no checkpoint, the truncation alone evens out the table.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def count_rows(owner_url: str, tenant_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", tenant_id))
    finally:
        await conn.close()
