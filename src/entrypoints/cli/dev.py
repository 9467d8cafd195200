"""`logplane dev`: the whole platform on one machine, no Docker.

Starts (or reuses, when the environment names them) PostgreSQL, Redis, S3+SQS (moto) and an
OpenSearch-compatible server (osmem, in memory; or the real OpenSearch with `--search opensearch`), provisions them idempotently, makes sure a demo
tenant exists, then runs the API and the workers as child processes until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from src.adapters.crypto.fernet_cipher import new_key as new_fernet_key
from src.adapters.embedded.service import RunningService
from src.entrypoints.cli.dev_search import chosen, start_search
from src.entrypoints.cli.dev_state import SERVICE_VARIABLES, STATE_FILE
from src.entrypoints.cli.dev_state import load as _load
from src.entrypoints.cli.dev_state import save as _save

if TYPE_CHECKING:
    from src.entrypoints.bootstrap import Container


def check_port_free(host: str, port: int) -> None:
    """Fail before starting anything when the API's address is taken: otherwise the readiness wait
    could take another server's answer for ours and print a banner for it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn binds: connections of a previous run in TIME_WAIT do not count as "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise SystemExit(
                    f"logplane dev: {host}:{port} is already in use by another process. "
                    "Stop it, or choose another port: make dev ARGS='--port 9000' (or LOGPLANE_API_PORT=9000)"
                ) from e
            raise SystemExit(f"logplane dev: cannot listen on {host}:{port}: {e.strerror}") from e


Restart = Callable[[], RunningService]


def _port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _start_services(
    data_dir: Path,
    services: list[RunningService],
    search: str,
    restarts: dict[str, Restart] | None = None,
    aws: str = "moto",
) -> tuple[dict[str, str], str]:
    """Each service from the environment if named there, else embedded. Runs in the main thread:
    children are tied to it so that they die with this process. `restarts` receives, for each
    embedded service, how to start it again on the same address (the supervisor's job)."""
    restarts = restarts if restarts is not None else {}
    env: dict[str, str] = {}
    if url := os.environ.get("DATABASE_URL") or os.environ.get("LOGPLANE_DATABASE_URL"):
        env["LOGPLANE_DATABASE_URL"] = url
    else:
        from src.adapters.embedded.postgres import start_postgres

        services.append(start_postgres(data_dir / "pg"))
        env["LOGPLANE_DATABASE_URL"] = services[-1].url
        restarts["postgres"] = lambda: start_postgres(data_dir / "pg")
    if url := os.environ.get("REDIS_URL") or os.environ.get("LOGPLANE_REDIS_URL"):
        env["LOGPLANE_REDIS_URL"] = url
    else:
        from src.adapters.embedded.redis import start_redis

        services.append(start_redis(log_path=data_dir / "redis.log"))
        env["LOGPLANE_REDIS_URL"] = services[-1].url
        redis_port = _port_of(services[-1].url)
        restarts["redis"] = lambda: start_redis(redis_port, log_path=data_dir / "redis.log")
    if url := os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("LOGPLANE_AWS_ENDPOINT_URL"):
        env["LOGPLANE_AWS_ENDPOINT_URL"] = url
    elif aws == "localstack":
        from src.adapters.embedded.localstack import start_localstack

        # S3 and SQS both in LocalStack, as in the container deployment. Its community edition keeps
        # nothing across restarts: archives made here are gone with it (moto, the default, keeps them).
        print("logplane dev: starting LocalStack (installs itself on first use, a few minutes)", file=sys.stderr)
        services.append(start_localstack(data_dir=data_dir / "localstack", log_path=data_dir / "localstack.log"))
        env["LOGPLANE_AWS_ENDPOINT_URL"] = services[-1].url
        localstack_port = _port_of(services[-1].url)
        restarts["localstack"] = lambda: start_localstack(
            localstack_port, data_dir=data_dir / "localstack", log_path=data_dir / "localstack.log"
        )
    else:
        from src.adapters.embedded.moto import start_moto

        services.append(start_moto(log_path=data_dir / "moto.log"))
        env["LOGPLANE_AWS_ENDPOINT_URL"] = services[-1].url
        moto_port = _port_of(services[-1].url)
        restarts["moto"] = lambda: start_moto(moto_port, log_path=data_dir / "moto.log")
        # S3 in a moto of its own that records every request and replays them when it starts:
        # archives and exports survive a restart of the dev stack (SQS stays in memory: every
        # unfinished task is queued again whenever this moto starts empty, see _requeue_unfinished).
        recording = data_dir / "s3-recording.jsonl"
        s3 = start_moto(log_path=data_dir / "moto-s3.log", record_to=recording)
        s3.name = "moto-s3"
        services.append(s3)
        env["LOGPLANE_S3_ENDPOINT_URL"] = s3.url
        s3_port = _port_of(s3.url)

        def restart_s3() -> RunningService:
            service = start_moto(s3_port, log_path=data_dir / "moto-s3.log", record_to=recording)
            service.name = "moto-s3"
            return service

        restarts["moto-s3"] = restart_s3
    # moto and LocalStack accept any credentials; real AWS uses the ambient ones.
    env.setdefault("AWS_ACCESS_KEY_ID", os.environ.get("AWS_ACCESS_KEY_ID", "logplane-dev"))
    env.setdefault("AWS_SECRET_ACCESS_KEY", os.environ.get("AWS_SECRET_ACCESS_KEY", "logplane-dev"))
    env.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    if url := os.environ.get("OPENSEARCH_URL") or os.environ.get("LOGPLANE_OPENSEARCH_URL"):
        env["LOGPLANE_OPENSEARCH_URL"] = url
        return env, f"OpenSearch here is {url} (OPENSEARCH_URL)."
    service, note = start_search(data_dir, search)
    services.append(service)
    env["LOGPLANE_OPENSEARCH_URL"] = service.url
    if restarts is not None:
        search_port = _port_of(service.url)
        restarts[service.name] = lambda: start_search(data_dir, search, port=search_port)[0]
    return env, note


async def _ensure_resources() -> None:
    """Queues, bucket and index template, idempotently: at start and whenever a service restarted
    (moto and osmem come back empty). The same steps as `logplane provision`."""
    from src.entrypoints.cli.provision import ensure_resources
    from src.entrypoints.settings import Settings

    await ensure_resources(Settings())


async def _reprovision(*, queues_lost: bool = False) -> None:
    """After a service restart: its resources again, the search index rebuilt if it came back empty,
    and every unfinished task queued again if the queue came back empty."""
    from src.entrypoints.bootstrap import build_container
    from src.entrypoints.settings import Settings

    await _ensure_resources()
    settings = Settings()
    container = build_container(settings)
    try:
        assert settings.opensearch.url
        await _reindex_if_search_is_empty(container, settings.opensearch.url)
        if queues_lost:
            await _requeue_unfinished(container)
    finally:
        await container.close()


async def _requeue_unfinished(container: Container) -> None:
    """The embedded SQS (moto) keeps its messages in memory: when it starts empty, the tasks still
    pending or running are published again now, rather than after the relay's thresholds or never."""
    from src.adapters.postgres.outbox import PostgresOutboxStore
    from src.usecases.publish_tasks import RepublishUnfinished

    count = await RepublishUnfinished(PostgresOutboxStore(container.owner_engine), container.publish).execute()
    if count:
        print(f"logplane dev: the task queue started empty; {count} unfinished task(s) queued again", file=sys.stderr)


async def _provision(state: dict[str, Any], *, queues_lost: bool = False) -> dict[str, Any]:
    from src.domain.errors import DomainError
    from src.entrypoints.bootstrap import build_container
    from src.entrypoints.settings import Settings
    from src.usecases.authenticate import AuthenticateRequest
    from src.usecases.create_tenant import CreateTenantRequest

    await _ensure_resources()
    settings = Settings()
    assert settings.opensearch.url
    container = build_container(settings)
    try:
        await _reindex_if_search_is_empty(container, settings.opensearch.url)
        if queues_lost:
            await _requeue_unfinished(container)
        demo = state.get("demo", {})
        if demo.get("api_key"):
            try:
                await container.authenticate.execute(AuthenticateRequest(credential=demo["api_key"]))
                return await _ensure_console_user(container, dict(demo))
            except DomainError:
                pass  # the database was reset: make a new demo tenant
        name = "demo" if not demo else f"demo-{secrets.token_hex(3)}"
        existing = {t.name for t in await container.list_tenants.execute()}
        if name in existing:
            name = f"demo-{secrets.token_hex(3)}"
        created = await container.create_tenant.execute(CreateTenantRequest(name=name))
        fresh = {"tenant_id": str(created.tenant.id), "name": name, "api_key": created.api_key}
        return await _ensure_console_user(container, fresh)
    finally:
        await container.close()


async def _ensure_console_user(container: Any, demo: dict[str, Any]) -> dict[str, Any]:
    """A demo admin user, so the web console can be logged into at once (its password is in dev.json)."""
    from uuid import UUID

    from src.domain.errors import DomainError
    from src.domain.users import Role
    from src.usecases.manage_users import CreateUserRequest

    if demo.get("console_password"):
        return demo
    email, password = f"admin@{demo['name']}.example", secrets.token_urlsafe(12)
    try:
        await container.create_user.execute(
            CreateUserRequest(
                tenant_id=UUID(demo["tenant_id"]), email=email, role=Role.ADMIN, password=password, actor="cli"
            )
        )
    except DomainError as e:  # e.g. created by an earlier run whose dev.json was lost
        print(f"logplane dev: no console user made ({e.message})", file=sys.stderr)
        return demo
    return {**demo, "console_email": email, "console_password": password}


async def _reindex_if_search_is_empty(container: Any, opensearch_url: str) -> None:
    """osmem-server keeps nothing across restarts (nor does a fresh OpenSearch data dir): rebuild the index from PostgreSQL, the source of truth."""
    from sqlalchemy import text

    from src.adapters.opensearch.provision import index_is_empty
    from src.usecases.request_reindex import ReindexRequest

    async with container.owner_engine.connect() as conn:
        has_logs = bool((await conn.execute(text("SELECT EXISTS (SELECT 1 FROM logs)"))).scalar_one())
    if has_logs and await index_is_empty(opensearch_url):
        tasks = await container.reindex.execute(ReindexRequest())
        print(f"search index is empty but PostgreSQL is not: reindexing {len(tasks)} tenant(s) in the background")


def _is_ours(base: str, admin_token: str, tenant_id: str) -> bool:
    """Ready, and the API this launcher started: only it knows this admin token and demo tenant."""
    if httpx.get(f"{base}/health/ready", timeout=2.0).status_code != 200:
        return False
    headers = {"Authorization": f"Bearer {admin_token}"}
    return httpx.get(f"{base}/api/v1/tenants/{tenant_id}", headers=headers, timeout=2.0).status_code == 200


def _wait_ready(
    base: str, proc: subprocess.Popen[bytes], *, admin_token: str, tenant_id: str, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the API process exited during start-up; see the lines above")
        try:
            if _is_ours(base, admin_token, tenant_id):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)  # polling a child process's start-up: nothing to wait on but its answer
    raise SystemExit(f"the API did not become ready within {timeout:.0f} s")


def _console_line(base: str, demo: dict[str, Any]) -> str:
    if not demo.get("console_password"):
        return f"  web console : {base}/  (make a user: logplane users create --tenant {demo['name']} …)"
    return f"  web console : {base}/  tenant {demo['name']}, {demo['console_email']} / {demo['console_password']}"


def _banner(base: str, demo: dict[str, Any], admin_token: str, state_path: Path, search_note: str) -> str:
    key = demo["api_key"]
    return f"""
logplane is running at {base}
  demo tenant : {demo["name"]} ({demo["tenant_id"]})
  API key     : {key}
  admin token : {admin_token}
  (both saved in {state_path})
{_console_line(base, demo)}

Send a log, then read it back by the id the first call answers (one line):
  ID=$(curl -s -X POST {base}/api/v1/logs -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{"message":"hello from curl","severity":"info","service":"demo"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') && curl -s {base}/api/v1/logs/$ID -H 'Authorization: Bearer {key}'

Exchange the key for a short-lived JWT:
  curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' -d '{{"api_key":"{key}"}}'

{search_note}
Press Ctrl-C to stop everything.
"""


def _alive(service: RunningService) -> bool:
    if service.pid is None:
        return True
    try:
        os.kill(service.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is gone too: reap it.
    with contextlib.suppress(ChildProcessError):
        pid, _ = os.waitpid(service.pid, os.WNOHANG)
        return pid == 0
    return True


def _supervise(
    services: list[RunningService],
    restarts: dict[str, Restart],
    children: list[subprocess.Popen[bytes]],
    commands: dict[str, list[str]],
    env: dict[str, str],
) -> None:
    """Until interrupted: an embedded service or a child process that dies is reported and started
    again, after 1, 2, 4 … 30 s if it keeps dying; after a service restart, its queues, bucket and
    index template are recreated (and the search index rebuilt if it came back empty)."""
    delays: dict[str, float] = {}
    due: dict[str, float] = {}
    names = list(commands)
    while True:
        time.sleep(0.5)
        now = time.monotonic()
        for i, service in enumerate(services):
            restart = restarts.get(service.name)
            if restart is None or _alive(service):
                continue
            if service.name not in due:
                delay = delays.get(service.name, 0.5) * 2
                delays[service.name] = min(delay, 30.0)
                due[service.name] = now + delays[service.name]
                print(f"logplane dev: {service.name} died; restarting in {delays[service.name]:.0f} s", file=sys.stderr)
            if now >= due[service.name]:
                del due[service.name]
                try:
                    services[i] = restart()
                    asyncio.run(_reprovision(queues_lost=service.name == "moto"))
                    print(f"logplane dev: {service.name} restarted", file=sys.stderr)
                except Exception as e:
                    print(f"logplane dev: restarting {service.name} failed: {e}", file=sys.stderr)
        for i, child in enumerate(children):
            name = names[i]
            if child.poll() is None:
                continue
            if name not in due:
                delay = delays.get(name, 0.5) * 2
                delays[name] = min(delay, 30.0)
                due[name] = now + delays[name]
                print(
                    f"logplane dev: {name} exited with {child.returncode}; restarting in {delays[name]:.0f} s",
                    file=sys.stderr,
                )
            if now >= due[name]:
                del due[name]
                children[i] = subprocess.Popen(commands[name], env=env)


def run_dev(
    *,
    data_dir: str,
    host: str,
    port: int,
    workers: bool,
    search: str | None = None,
    syslog: bool = True,
    aws: str = "moto",
) -> int:
    check_port_free(host, port)
    root = Path(data_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    state_path = root / STATE_FILE
    state = _load(state_path)
    state.setdefault("admin_token", secrets.token_urlsafe(32))
    state.setdefault("jwt_secret", secrets.token_urlsafe(48))
    # Kept with the stack, so alert channel secrets saved in dev still decrypt after a restart.
    state.setdefault("alerts_secret_key", new_fernet_key())

    def _exit_on_term(signum: int, frame: FrameType | None) -> None:
        # Turn SIGTERM into a normal exit so every `finally` below (and atexit) runs.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _exit_on_term)
    services: list[RunningService] = []
    children: list[subprocess.Popen[bytes]] = []
    try:
        restarts: dict[str, Restart] = {}
        env, search_note = _start_services(root, services, chosen(search), restarts, aws=aws)
        env.update(
            LOGPLANE_ENV="dev",
            LOGPLANE_ADMIN_TOKEN=state["admin_token"],
            LOGPLANE_JWT_SECRET=state["jwt_secret"],
            LOGPLANE_ALERTS_SECRET_KEY=state["alerts_secret_key"],
            # Local webhook receivers and SMTP servers are what one tries alerting with in dev.
            LOGPLANE_ALERTS_ALLOW_PRIVATE_TARGETS=os.environ.get("LOGPLANE_ALERTS_ALLOW_PRIVATE_TARGETS", "true"),
            LOGPLANE_API_HOST=host,
            LOGPLANE_API_PORT=str(port),
            # Where the workers report their heartbeats (`logplane worker status` reads them).
            LOGPLANE_WORKER_STATUS_DIR=str(root / "workers"),
        )
        os.environ.update(env)
        from src.entrypoints.cli.admin import migrate

        migrate()
        # An embedded moto starts with no messages: whatever the last run left unfinished is queued again.
        state["demo"] = asyncio.run(_provision(state, queues_lost="moto" in restarts))
        syslog_env: dict[str, str] = {}
        syslog_note = "syslog: off (--no-syslog)."
        if syslog:
            from src.entrypoints.cli.dev_syslog import prepare_syslog

            syslog_env, syslog_note = prepare_syslog(root, state["demo"]["api_key"])
        env.update(syslog_env)
        os.environ.update(syslog_env)
        base = f"http://{host}:{port}"
        # What `logplane tenants|keys|migrate` need to reach this stack (src.entrypoints.cli.dev_state).
        state["services"] = {name: env[name] for name in SERVICE_VARIABLES if name in env}
        state["api_url"] = base
        _save(state_path, state)
        child_env = {**os.environ, **env}
        cmd = [sys.executable, "-m", "src.entrypoints.cli.main"]
        commands = {"api": [*cmd, "api", "--host", host, "--port", str(port)]}
        if workers:
            commands["workers"] = [*cmd, "worker", "all"]
        if syslog_env:
            commands["syslog"] = [*cmd, "syslog"]
        for argv in commands.values():
            children.append(subprocess.Popen(argv, env=child_env))
        _wait_ready(base, children[0], admin_token=state["admin_token"], tenant_id=state["demo"]["tenant_id"])
        if syslog_env:
            from src.entrypoints.cli.dev_syslog import wait_listening

            syslog_note = wait_listening(children[list(commands).index("syslog")], syslog_note)
        print(
            _banner(base, state["demo"], state["admin_token"], state_path, f"{search_note}\n{syslog_note}"), flush=True
        )
        _supervise(services, restarts, children, commands, child_env)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", file=sys.stderr)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        for service in reversed(services):
            service.stop()
