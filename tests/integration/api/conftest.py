"""Helpers for the HTTP API tests: direct PostgreSQL access as the owner, extra apps, error checks."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, make_settings

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def plain_url(postgres_url: str) -> str:
    return postgres_url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The owner role: row-level security does not hide rows from it, so it sees what was stored."""
    conn = await asyncpg.connect(plain_url(postgres_url))
    try:
        yield conn
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def app_client_with(postgres_url: str, redis_url: str | None, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A second app over the same database and Redis, with some settings changed."""
    from src.entrypoints.http.app import make_app

    app = make_app(make_settings(postgres_url, redis_url, **changes))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://logplane.test") as client:
            yield client


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The status, and the one JSON error shape every 4xx answers with; returns the `error` object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


async def issue_token(client: httpx.AsyncClient, api_key: str, **extra: Any) -> str:
    response = await client.post("/api/v1/auth/token", json={"api_key": api_key, **extra})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def create_key(client: httpx.AsyncClient, admin_credential: str, scopes: list[str]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/keys", json={"name": f"{'-'.join(scopes)} key", "scopes": scopes}, headers=bearer(admin_credential)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def count_logs(db: asyncpg.Connection, tenant_id: str) -> int:
    return int(await db.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", uuid.UUID(tenant_id)))


def metric_value(metrics_text: str, name: str, labels: str | None = None) -> float:
    """One sample of the Prometheus text exposition; 0 when absent."""
    label_part = re.escape("{" + labels + "}") if labels else ""
    match = re.search(rf"^{re.escape(name)}{label_part} (\S+)$", metrics_text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0
