"""The platform stack for integration tests: real PostgreSQL, Redis, moto (S3+SQS) and OpenSearch (the
real engine when Java and Maven are present, else osmem-server),
the app over ASGI, and workers run in-process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aioboto3
import httpx
import pytest

from src.adapters.embedded.service import free_port
from src.adapters.opensearch.provision import ensure_index_template
from src.adapters.s3.provision import ensure_bucket
from src.adapters.sqs.provision import ensure_queues
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.integration.search_engine import SearchNode, search_engine

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


AWS_EMULATOR_ENV = "LOGPLANE_TEST_AWS"  # "localstack", or unset: moto


@pytest.fixture(scope="session")
def aws_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("AWS_ENDPOINT_URL")
    if external:
        yield external
        return
    if os.environ.get(AWS_EMULATOR_ENV) == "localstack":
        # `make test` runs the S3/SQS suites a second time this way (the container deployment's emulator).
        from src.adapters.embedded.localstack import start_localstack

        service = start_localstack(data_dir=tmp_path_factory.mktemp("localstack"))
    else:
        from src.adapters.embedded.moto import start_moto

        service = start_moto()
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture(scope="session")
def search_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchNode]:
    engine, _ = search_engine()
    node = SearchNode(engine, tmp_path_factory.mktemp("opensearch"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@dataclass
class Stack:
    client: httpx.AsyncClient
    settings: Any
    app: Any
    search: SearchNode

    async def ingest(self, headers: dict[str, str], events: list[dict[str, Any]]) -> list[str]:
        response = await self.client.post("/api/v1/logs/bulk", json=events, headers=headers)
        assert response.status_code == 201, response.text
        return [item["id"] for item in response.json()["items"]]

    async def wait_searchable(
        self, headers: dict[str, str], expected: int, within: float = 180, **params: Any
    ) -> dict[str, Any]:
        # Generous: the session's shared index queue may hold other tests' tasks ahead of these (the
        # first test to run the index worker after the parsing and query suites waited 63 s for that
        # backlog on 2 cores), and the worker mines patterns before indexing; the wait ends as soon
        # as they are there.
        deadline = asyncio.get_running_loop().time() + within
        body: dict[str, Any] = {}
        while asyncio.get_running_loop().time() < deadline:
            response = await self.client.get("/api/v1/logs", params={"page_size": 1, **params}, headers=headers)
            body = response.json()
            if (
                response.status_code == 200
                and response.headers.get("x-logplane-source") == "opensearch"
                and body["total"] >= expected
            ):
                return body
            await asyncio.sleep(0.2)
        pytest.fail(f"only {body.get('total')} of {expected} became searchable: {body}")


@asynccontextmanager
async def running_worker(settings: Any, *names: str) -> AsyncIterator[asyncio.Event]:
    """Workers in this process (default: the index worker) until the block ends."""
    from workers.registry import WORKERS

    stop = asyncio.Event()
    tasks = [asyncio.create_task(WORKERS[name](settings, stop)) for name in names or ("index",)]
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)


@pytest.fixture(scope="session")
async def stack(postgres_url: str, redis_url: str, aws_url: str, search_node: SearchNode) -> AsyncIterator[Stack]:
    from src.entrypoints.http.app import make_app

    prefix = f"t{uuid.uuid4().hex[:6]}-"
    await ensure_index_template(search_node.url)
    await ensure_queues(
        aioboto3.Session(), endpoint_url=aws_url, prefix=prefix, visibility_timeout=2, max_receive_count=3
    )
    await ensure_bucket(aioboto3.Session(), endpoint_url=aws_url, bucket=f"{prefix}archive", region="us-east-1")
    settings = make_settings(
        postgres_url,
        redis_url,
        aws__endpoint_url=aws_url,
        aws__queue_prefix=prefix,
        aws__bucket=f"{prefix}archive",
        worker__archive_settle_seconds=0.0,
        aws__visibility_timeout=2,
        aws__max_receive_count=3,
        opensearch__url=search_node.url,
        worker__receive_wait_seconds=1,
        worker__relay_interval_seconds=0.5,
        # Longer than a backlog other tests left takes to drain: a queued task is not sent again
        # (at 1 s, a worker behind on that backlog saw every waiting task re-sent every second).
        worker__relay_stale_seconds=60.0,
        # Well inside running_worker's 60 s wait: a backlog other tests left must not outlast it.
        worker__stop_grace_seconds=20.0,
    )
    app = make_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://logplane.test") as client:
            yield Stack(client=client, settings=settings, app=app, search=search_node)


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


# Real API processes (uvicorn) sharing PostgreSQL and Redis: the live stream across processes,
# and memory measured on a process of its own.
JWT_SECRET = "stream-test-jwt-secret-" + "s" * 32


@dataclass
class ApiProcess:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


def _start(postgres_url: str, redis_url: str, **env: str) -> ApiProcess:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "src.entrypoints.cli.main", "api", "--port", str(port)],
        env={
            **os.environ,
            "LOGPLANE_DATABASE_URL": postgres_url,
            "LOGPLANE_REDIS_URL": redis_url,
            "LOGPLANE_ADMIN_TOKEN": ADMIN_TOKEN,
            "LOGPLANE_JWT_SECRET": JWT_SECRET,
            "LOGPLANE_RATE_LIMIT_DEFAULT_PER_MINUTE": "100000",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return ApiProcess(url, process)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("API process did not start")


@pytest.fixture(scope="session")
def two_apis(postgres_url: str, redis_url: str) -> Iterator[tuple[ApiProcess, ApiProcess]]:
    # A modest per-client queue: it absorbs a burst for a fast client, and a slow one overflows it.
    first = _start(postgres_url, redis_url, LOGPLANE_API_STREAM_QUEUE_SIZE="500")
    second = _start(postgres_url, redis_url, LOGPLANE_API_STREAM_QUEUE_SIZE="500")
    try:
        yield first, second
    finally:
        for api in (first, second):
            api.process.terminate()
            api.process.wait(timeout=20)
