"""`logplane dev`: the whole platform on one machine, no Docker.

Starts (or reuses, when the environment names them) PostgreSQL, Redis, S3+SQS (moto) and an
OpenSearch-compatible server (osmem, in memory; or the real OpenSearch with `--search opensearch`), provisions them idempotently, makes sure a demo
tenant exists, then runs the API and the workers as child processes until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import orjson

from src.adapters.embedded.service import RunningService
from src.entrypoints.cli.dev_search import chosen, start_search


def _load(path: Path) -> dict[str, Any]:
    if path.exists():
        loaded: dict[str, Any] = orjson.loads(path.read_bytes())
        return loaded
    return {}


def _save(path: Path, data: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    path.chmod(0o600)  # it holds the admin token and a key


def _start_services(data_dir: Path, services: list[RunningService], search: str) -> tuple[dict[str, str], str]:
    """Each service from the environment if named there, else embedded. Runs in the main thread:
    children are tied to it so that they die with this process."""
    env: dict[str, str] = {}
    if url := os.environ.get("DATABASE_URL") or os.environ.get("LOGPLANE_DATABASE_URL"):
        env["LOGPLANE_DATABASE_URL"] = url
    else:
        from src.adapters.embedded.postgres import start_postgres

        services.append(start_postgres(data_dir / "pg"))
        env["LOGPLANE_DATABASE_URL"] = services[-1].url
    if url := os.environ.get("REDIS_URL") or os.environ.get("LOGPLANE_REDIS_URL"):
        env["LOGPLANE_REDIS_URL"] = url
    else:
        from src.adapters.embedded.redis import start_redis

        services.append(start_redis(log_path=data_dir / "redis.log"))
        env["LOGPLANE_REDIS_URL"] = services[-1].url
    if url := os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("LOGPLANE_AWS_ENDPOINT_URL"):
        env["LOGPLANE_AWS_ENDPOINT_URL"] = url
    else:
        from src.adapters.embedded.moto import start_moto

        services.append(start_moto(log_path=data_dir / "moto.log"))
        env["LOGPLANE_AWS_ENDPOINT_URL"] = services[-1].url
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
    return env, note


async def _provision(state: dict[str, Any]) -> dict[str, Any]:
    import aioboto3

    from src.adapters.opensearch.provision import ensure_index_template
    from src.adapters.s3.provision import ensure_bucket
    from src.adapters.sqs.provision import ensure_queues
    from src.domain.errors import DomainError
    from src.entrypoints.bootstrap import build_container
    from src.entrypoints.settings import Settings
    from src.usecases.authenticate import AuthenticateRequest
    from src.usecases.create_tenant import CreateTenantRequest

    settings = Settings()
    session = aioboto3.Session()
    await ensure_queues(
        session,
        endpoint_url=settings.aws.endpoint_url,
        prefix=settings.aws.queue_prefix,
        visibility_timeout=settings.aws.visibility_timeout,
        max_receive_count=settings.aws.max_receive_count,
    )
    await ensure_bucket(
        session, endpoint_url=settings.aws.endpoint_url, bucket=settings.aws.bucket, region=settings.aws.region
    )
    assert settings.opensearch.url
    await ensure_index_template(settings.opensearch.url)
    container = build_container(settings)
    try:
        await _reindex_if_search_is_empty(container, settings.opensearch.url)
        demo = state.get("demo", {})
        if demo.get("api_key"):
            try:
                await container.authenticate.execute(AuthenticateRequest(credential=demo["api_key"]))
                return dict(demo)
            except DomainError:
                pass  # the database was reset: make a new demo tenant
        name = "demo" if not demo else f"demo-{secrets.token_hex(3)}"
        existing = {t.name for t in await container.list_tenants.execute()}
        if name in existing:
            name = f"demo-{secrets.token_hex(3)}"
        created = await container.create_tenant.execute(CreateTenantRequest(name=name))
        return {"tenant_id": str(created.tenant.id), "name": name, "api_key": created.api_key}
    finally:
        await container.close()


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


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the API process exited during start-up; see the lines above")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the API did not become ready within {timeout:.0f} s")


def _banner(base: str, demo: dict[str, Any], admin_token: str, state_path: Path, search_note: str) -> str:
    key = demo["api_key"]
    return f"""
logplane is running at {base}
  demo tenant : {demo["name"]} ({demo["tenant_id"]})
  API key     : {key}
  admin token : {admin_token}
  (both saved in {state_path})

Send a log, then read it back by the id the first call answers (one line):
  ID=$(curl -s -X POST {base}/api/v1/logs -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{"message":"hello from curl","severity":"info","service":"demo"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') && curl -s {base}/api/v1/logs/$ID -H 'Authorization: Bearer {key}'

Exchange the key for a short-lived JWT:
  curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' -d '{{"api_key":"{key}"}}'

{search_note}
Press Ctrl-C to stop everything.
"""


def run_dev(*, data_dir: str, host: str, port: int, workers: bool, search: str | None = None) -> int:
    root = Path(data_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    state_path = root / "dev.json"
    state = _load(state_path)
    state.setdefault("admin_token", secrets.token_urlsafe(32))
    state.setdefault("jwt_secret", secrets.token_urlsafe(48))

    def _exit_on_term(signum: int, frame: FrameType | None) -> None:
        # Turn SIGTERM into a normal exit so every `finally` below (and atexit) runs.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _exit_on_term)
    services: list[RunningService] = []
    children: list[subprocess.Popen[bytes]] = []
    try:
        env, search_note = _start_services(root, services, chosen(search))
        env.update(
            LOGPLANE_ENV="dev",
            LOGPLANE_ADMIN_TOKEN=state["admin_token"],
            LOGPLANE_JWT_SECRET=state["jwt_secret"],
            LOGPLANE_API_HOST=host,
            LOGPLANE_API_PORT=str(port),
        )
        os.environ.update(env)
        from src.entrypoints.cli.admin import migrate

        migrate()
        state["demo"] = asyncio.run(_provision(state))
        _save(state_path, state)
        child_env = {**os.environ, **env}
        cmd = [sys.executable, "-m", "src.entrypoints.cli.main"]
        children.append(subprocess.Popen([*cmd, "api", "--host", host, "--port", str(port)], env=child_env))
        if workers:
            children.append(subprocess.Popen([*cmd, "worker", "all"], env=child_env))
        base = f"http://{host}:{port}"
        _wait_ready(base, children[0])
        print(_banner(base, state["demo"], state["admin_token"], state_path, search_note), flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a child process exited; stopping", file=sys.stderr)
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
