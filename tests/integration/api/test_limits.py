"""Size limits: body bytes (declared and streamed), decompressed bytes (gzip bombs), events per batch."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import TenantHandle, create_tenant
from tests.integration.api.conftest import ADMIN, app_client_with, assert_error, count_logs

BULK = "/api/v1/logs/bulk"
MAX_BODY = 4096
MAX_DECOMPRESSED = 64 * 1024
MAX_EVENTS = 5


@pytest.fixture(scope="module")
async def small_client(postgres_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client_with(
        postgres_url,
        redis_url,
        ingest__max_body_bytes=MAX_BODY,
        ingest__max_decompressed_bytes=MAX_DECOMPRESSED,
        ingest__max_batch_events=MAX_EVENTS,
    ) as client:
        yield client


@pytest.fixture
async def small_tenant(small_client: httpx.AsyncClient) -> TenantHandle:
    return await create_tenant(small_client)


def _bomb(decompressed_bytes: int) -> bytes:
    """A valid gzip JSON array that inflates to about `decompressed_bytes`, compressed a thousandfold."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    parts = [compressor.compress(b"[")]
    for _ in range(decompressed_bytes // len(chunk)):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.compress(b' {"message": "x"}]'))
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.mark.parametrize("path", ["/api/v1/logs", BULK])
async def test_declared_body_over_the_cap_is_413(
    small_client: httpx.AsyncClient, small_tenant: TenantHandle, db: asyncpg.Connection, path: str
) -> None:
    content = orjson.dumps({"message": "x" * MAX_BODY}) if path != BULK else orjson.dumps([{"message": "x" * MAX_BODY}])
    response = await small_client.post(
        path, content=content, headers={**small_tenant.headers, "Content-Type": "application/json"}
    )
    assert int(response.request.headers["content-length"]) > MAX_BODY
    error = assert_error(response, 413, "body_too_large")
    assert error["details"] == {"max_bytes": MAX_BODY}
    assert await count_logs(db, small_tenant.id) == 0


async def test_streamed_body_without_length_over_the_cap_is_413(
    small_client: httpx.AsyncClient, small_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'[{"message": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}]'

    response = await small_client.post(
        BULK, content=chunks(), headers={**small_tenant.headers, "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "body_too_large")
    assert await count_logs(db, small_tenant.id) == 0


async def test_body_just_under_the_cap_is_accepted(small_client: httpx.AsyncClient, small_tenant: TenantHandle) -> None:
    content = orjson.dumps({"message": "x" * (MAX_BODY - 100)})
    assert len(content) <= MAX_BODY
    response = await small_client.post(
        "/api/v1/logs", content=content, headers={**small_tenant.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


async def test_gzip_bomb_over_the_decompressed_cap_is_413(
    small_client: httpx.AsyncClient, small_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    bomb = gzip.compress(b"[" + b" " * (MAX_DECOMPRESSED * 4) + b'{"message": "x"}]', compresslevel=9)
    assert len(bomb) < MAX_BODY  # passes the body cap: only the decompressed cap can stop it
    response = await small_client.post(
        BULK,
        content=bomb,
        headers={**small_tenant.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    error = assert_error(response, 413, "decompressed_too_large")
    assert error["details"] == {"max_bytes": MAX_DECOMPRESSED}
    assert await count_logs(db, small_tenant.id) == 0


async def test_gzip_under_the_decompressed_cap_is_accepted(
    small_client: httpx.AsyncClient, small_tenant: TenantHandle
) -> None:
    body = gzip.compress(b"[" + b" " * (MAX_DECOMPRESSED - 100) + b'{"message": "x"}]')
    response = await small_client.post(
        BULK,
        content=body,
        headers={**small_tenant.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201, response.text


async def test_gzip_bomb_over_the_default_cap_is_413(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    """The default settings: ~60 MiB that compresses to ~60 KiB, over the 50 MiB decompressed cap."""
    bomb = _bomb(60 << 20)
    assert len(bomb) < 1 << 20
    response = await app_client.post(
        BULK,
        content=bomb,
        headers={**tenant.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    error = assert_error(response, 413, "decompressed_too_large")
    assert error["details"] == {"max_bytes": 50 * 1024 * 1024}
    assert await count_logs(db, tenant.id) == 0


async def test_batch_over_max_events_is_413(
    small_client: httpx.AsyncClient, small_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await small_client.post(
        BULK, json=[{"message": str(i)} for i in range(MAX_EVENTS + 1)], headers=small_tenant.headers
    )
    error = assert_error(response, 413, "batch_too_large")
    assert error["details"] == {"max_events": MAX_EVENTS, "events": MAX_EVENTS + 1}
    assert await count_logs(db, small_tenant.id) == 0


async def test_ndjson_batch_over_max_events_is_413(small_client: httpx.AsyncClient, small_tenant: TenantHandle) -> None:
    content = b"\n".join(orjson.dumps({"message": str(i)}) for i in range(MAX_EVENTS + 1))
    response = await small_client.post(
        BULK, content=content, headers={**small_tenant.headers, "Content-Type": "application/x-ndjson"}
    )
    assert_error(response, 413, "batch_too_large")


async def test_batch_of_exactly_max_events_is_accepted(
    small_client: httpx.AsyncClient, small_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await small_client.post(
        BULK, json=[{"message": str(i)} for i in range(MAX_EVENTS)], headers=small_tenant.headers
    )
    assert response.status_code == 201, response.text
    assert await count_logs(db, small_tenant.id) == MAX_EVENTS


async def test_a_tenants_own_limits_override_the_platform_defaults(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    limited = await create_tenant(app_client, limits={"max_batch_events": 2, "max_body_bytes": 1024})
    too_many = await app_client.post(BULK, json=[{"message": "x"}] * 3, headers=limited.headers)
    error = assert_error(too_many, 413, "batch_too_large")
    assert error["details"] == {"max_events": 2, "events": 3}
    too_big = await app_client.post("/api/v1/logs", json={"message": "x" * 2000}, headers=limited.headers)
    assert assert_error(too_big, 413, "body_too_large")["details"] == {"max_bytes": 1024}
    ok = await app_client.post(BULK, json=[{"message": "x"}] * 2, headers=limited.headers)
    assert ok.status_code == 201, ok.text
    assert await count_logs(db, limited.id) == 2
    # The platform defaults still apply to everyone else.
    others = await app_client.post(BULK, json=[{"message": "x" * 2000}] * 3, headers=tenant.headers)
    assert others.status_code == 201, others.text


async def test_a_tenant_may_be_allowed_more_than_the_default(small_client: httpx.AsyncClient) -> None:
    generous = await create_tenant(small_client, limits={"max_batch_events": MAX_EVENTS + 3})
    response = await small_client.post(
        BULK, json=[{"message": str(i)} for i in range(MAX_EVENTS + 3)], headers=generous.headers
    )
    assert response.status_code == 201, response.text


async def test_changed_limits_apply_at_once(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    assert (await app_client.post(BULK, json=[{"message": "x"}] * 3, headers=tenant.headers)).status_code == 201
    patched = await app_client.patch(
        f"/api/v1/tenants/{tenant.id}", json={"limits": {"max_batch_events": 2}}, headers=ADMIN
    )
    assert patched.status_code == 200, patched.text
    assert_error(await app_client.post(BULK, json=[{"message": "x"}] * 3, headers=tenant.headers), 413)


async def test_whole_document_routes_cap_their_bodies(app_client) -> None:
    big = b'{"api_key": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    for path in ("/api/v1/auth/token", "/api/v1/tenants"):
        response = await app_client.post(path, content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, path
        assert response.json()["error"]["code"] == "body_too_large"

    async def chunks():
        for _ in range(40):
            yield b"y" * 65536

    response = await app_client.post(
        "/api/v1/auth/token", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
