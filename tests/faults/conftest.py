"""One platform for the fault suite: embedded services behind cuttable proxies, the API and every
worker as processes (logs in the session's temp dir, printed on failure)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aioboto3
import pytest

from src.adapters.opensearch.provision import ensure_index_template
from src.adapters.postgres.migrate import upgrade
from src.adapters.s3.provision import ensure_bucket
from src.adapters.sqs.provision import ensure_queues
from tests.conftest import ADMIN_TOKEN
from tests.faults.platform import WORKERS, Platform, base_env, pg_socket
from tests.faults.proxy import FaultProxy

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

VISIBILITY = 5
MAX_RECEIVES = 3  # small on purpose: an outage must not spend it
RESTARTED: list[Any] = []  # services a scenario started again, stopped with the session
SERVICES: dict[str, Any] = {}  # the embedded services by name, for scenarios that restart one


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The suite's own embedded PostgreSQL, always (never DATABASE_URL's nor the other suites'):
    a scenario kill -9s its postmaster and starts it again on the same data directory."""
    from src.adapters.embedded.postgres import start_postgres

    data = tmp_path_factory.mktemp("fault-pg") / "data"
    SERVICES["postgres"] = start_postgres(data)
    SERVICES["postgres_data"] = data
    try:
        upgrade(SERVICES["postgres"].url, timescaledb="auto")
        yield SERVICES["postgres"].url
    finally:
        SERVICES["postgres"].stop()  # the one running now, which a scenario may have restarted


@pytest.fixture(scope="session")
def fault_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    from src.adapters.embedded.moto import start_moto
    from src.adapters.embedded.osmem import start_osmem
    from src.adapters.embedded.redis import start_redis

    started = [start_redis(), start_moto(), start_osmem(japanese=False)]
    SERVICES.update({s.name: s for s in started})
    try:
        yield {s.name: s.url for s in started}
    finally:
        for service in started:
            service.stop()
        for service in RESTARTED:
            service.stop()


@pytest.fixture(scope="session")
async def platform(
    postgres_url: str, fault_services: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    socket, database = pg_socket(postgres_url)
    names = {"redis": "redis", "moto": "aws", "osmem": "opensearch"}
    proxies = {"postgres": FaultProxy("postgres", target_unix=socket)}
    for service, url in fault_services.items():
        parts = urlsplit(url)
        name = next(v for k, v in names.items() if k in service)
        proxies[name] = FaultProxy(name, target_host=parts.hostname, target_port=parts.port)
    prefix = f"f{uuid.uuid4().hex[:6]}-"
    aws_url = f"http://127.0.0.1:{proxies['aws'].port}"
    os_url = f"http://127.0.0.1:{proxies['opensearch'].port}"
    await ensure_queues(
        aioboto3.Session(),
        endpoint_url=aws_url,
        prefix=prefix,
        visibility_timeout=VISIBILITY,
        max_receive_count=MAX_RECEIVES,
    )
    await ensure_bucket(aioboto3.Session(), endpoint_url=aws_url, bucket=f"{prefix}archive", region="us-east-1")
    await ensure_index_template(os_url)
    log_dir = tmp_path_factory.mktemp("fault-logs")
    env = base_env(
        LOGPLANE_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{proxies['postgres'].port}/{database}",
        LOGPLANE_REDIS_URL=f"redis://127.0.0.1:{proxies['redis'].port}/0",
        LOGPLANE_AWS_ENDPOINT_URL=aws_url,
        LOGPLANE_OPENSEARCH_URL=os_url,
        LOGPLANE_SQS_QUEUE_PREFIX=prefix,
        LOGPLANE_S3_BUCKET=f"{prefix}archive",
        LOGPLANE_SQS_VISIBILITY_TIMEOUT=str(VISIBILITY),
        LOGPLANE_SQS_MAX_RECEIVE_COUNT=str(MAX_RECEIVES),
        LOGPLANE_ADMIN_TOKEN=ADMIN_TOKEN,
        LOGPLANE_JWT_SECRET="faults-jwt-secret-" + "z" * 40,
        LOGPLANE_RATE_LIMIT_DEFAULT_PER_MINUTE="1000000",
        LOGPLANE_WORKER_RECEIVE_WAIT_SECONDS="1",
        LOGPLANE_WORKER_RELAY_INTERVAL_SECONDS="1",
        LOGPLANE_WORKER_MAX_BACKOFF_SECONDS="3",
        LOGPLANE_WORKER_ARCHIVE_SETTLE_SECONDS="0",
        LOGPLANE_WORKER_STATUS_DIR=str(log_dir / "status"),
        LOGPLANE_WORKER_INDEX_CONSUMERS="2",
        # Search reconciliation every few seconds (production: 5 min), counting events older than 2 s.
        LOGPLANE_WORKER_RECONCILE_INTERVAL_SECONDS="5",
        LOGPLANE_WORKER_RECONCILE_SETTLE_SECONDS="2",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    platform = Platform(env=env, proxies=proxies, log_dir=log_dir, dsn=postgres_url.replace("+asyncpg", ""))
    platform.start("api")
    for name in WORKERS:
        platform.start(name)
    try:
        # Six processes importing the stack at once on a busy 2-core machine: give the first start time.
        await platform.wait_ready(within=180)
        yield platform
    finally:
        platform.stop_all()
        for proxy in proxies.values():
            proxy.close()
        await asyncio.sleep(0)


def print_logs(log_dir: Path, tail: int = 40) -> None:
    for path in sorted(log_dir.glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()[-tail:]
        print(f"----- {path.name} (last {len(lines)} lines)\n" + "\n".join(lines))
