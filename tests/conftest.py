"""Fixtures that start real backing services (no Docker) or use the ones named in the environment."""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from src.adapters.postgres.migrate import upgrade


def pytest_configure(config: pytest.Config) -> None:
    """Temp directories under a root of this checkout's own, not the machine's shared
    `/tmp/pytest-of-<user>`. The embedded PostgreSQL runs as a user of its own, and its library opens
    the data directory's parents to that user (o+rx), `pytest-of-<user>` among them; every pytest
    session that starts makes that directory private again (0700). A second checkout's `make test`
    on the same machine thus cut a running suite's server off from its files (PANIC: Permission
    denied): 683 of its tests failed or errored. pytest reads `PYTEST_DEBUG_TEMPROOT` when it makes its
    first temp directory, after this hook; runs of one checkout keep pytest's usual retention."""
    if "PYTEST_DEBUG_TEMPROOT" in os.environ:
        return
    # Short: a unix socket's path (postgres puts its own in the data directory) has room for 107 bytes.
    checkout = hashlib.sha256(str(config.rootpath).encode()).hexdigest()[:6]
    root = Path(tempfile.gettempdir()) / f"lp-{checkout}"
    root.mkdir(mode=0o755, exist_ok=True)
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(root)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Owner URL of a migrated database: DATABASE_URL's server (a fresh database on it) or embedded."""
    external = os.environ.get("DATABASE_URL")
    if external:
        import asyncio

        import asyncpg

        url = external.replace("postgresql+asyncpg://", "postgresql://")
        name = f"logplane_test_{uuid.uuid4().hex[:8]}"

        async def create() -> None:
            conn = await asyncpg.connect(url)
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create())
        from sqlalchemy.engine import make_url

        db_url = (
            make_url(external.replace("postgresql://", "postgresql+asyncpg://", 1))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
        upgrade(db_url, timescaledb="auto")
        yield db_url
        return
    from src.adapters.embedded.postgres import start_postgres

    service = start_postgres(tmp_path_factory.mktemp("pg") / "data")
    try:
        upgrade(service.url, timescaledb="auto")
        yield service.url
    finally:
        service.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    from src.adapters.embedded.redis import start_redis

    service = start_redis()
    try:
        yield service.url
    finally:
        service.stop()


ADMIN_TOKEN = "test-admin-token-" + "x" * 32
METRICS_TOKEN = "test-metrics-token-" + "m" * 24
METRICS = {"Authorization": f"Bearer {METRICS_TOKEN}"}
# Settings follow production rules unless LOGPLANE_ENV=dev (only `logplane dev` sets it): tests run
# under those rules with real-length secrets, here and in every process they start.
os.environ.setdefault("LOGPLANE_ADMIN_TOKEN", ADMIN_TOKEN)
os.environ.setdefault("LOGPLANE_JWT_SECRET", "test-jwt-secret-" + "y" * 40)
# A Fernet key for alert channel secrets (generated once for the tests; a deployment makes its own).
os.environ.setdefault("LOGPLANE_ALERTS_SECRET_KEY", "qDqVkb3oltiO1FV4Ee01pcjSVwF01gBM0CBpgqFQp24=")


def make_settings(postgres_url: str, redis_url: str | None, **changes: Any) -> Any:
    from src.entrypoints.settings import Settings

    settings = Settings()
    settings.database.database_url = postgres_url
    settings.redis.redis_url = redis_url
    settings.auth.admin_token = __import__("pydantic").SecretStr(ADMIN_TOKEN)
    settings.auth.jwt_secret = __import__("pydantic").SecretStr("test-jwt-secret-" + "y" * 40)
    settings.metrics.token = __import__("pydantic").SecretStr(METRICS_TOKEN)
    for dotted, value in changes.items():
        section, _, field = dotted.partition("__")
        setattr(getattr(settings, section), field, value)
    return settings


@pytest.fixture(scope="session")
async def app_client(postgres_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from src.entrypoints.http.app import make_app

    app = make_app(make_settings(postgres_url, redis_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://logplane.test") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


class TenantHandle:
    def __init__(self, tenant_id: str, api_key: str, name: str) -> None:
        self.id = tenant_id
        self.api_key = api_key
        self.name = name

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def create_tenant(client: httpx.AsyncClient, **body: Any) -> TenantHandle:
    name = body.pop("name", None) or f"t-{uuid.uuid4().hex[:10]}"
    response = await client.post(
        "/api/v1/tenants", json={"name": name, **body}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 201, response.text
    data = response.json()
    return TenantHandle(data["tenant_id"], data["api_key"], name)


@pytest.fixture
async def tenant(app_client: httpx.AsyncClient) -> TenantHandle:
    return await create_tenant(app_client)


@pytest.fixture
async def other_tenant(app_client: httpx.AsyncClient) -> TenantHandle:
    return await create_tenant(app_client)


def pytest_report_header() -> str:
    from tests.integration.search_engine import search_engine

    engine, why = search_engine()
    aws = "localstack (LOGPLANE_TEST_AWS)" if os.environ.get("LOGPLANE_TEST_AWS") == "localstack" else "moto"
    return f"search engine for integration tests: {engine} ({why}); S3/SQS: {aws}"
