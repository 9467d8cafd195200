"""Retries are safe: a body `id` or an `Idempotency-Key` header stores an event once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import assert_error, count_logs


async def _rows_with_client_id(db: asyncpg.Connection, tenant_id: str, client_id: str) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM logs WHERE tenant_id = $1 AND client_id = $2", uuid.UUID(tenant_id), client_id
        )
    )


@pytest.mark.parametrize("with_timestamp", [False, True])
async def test_same_body_id_twice_stores_once_and_answers_the_same(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, with_timestamp: bool
) -> None:
    event: dict[str, Any] = {"message": "retry me", "id": "evt-1"}
    if with_timestamp:
        event["timestamp"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    first = await app_client.post("/api/v1/logs", json=event, headers=tenant.headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    await asyncio.sleep(0.01)  # a later receipt time must not leak into the replayed timestamp
    second = await app_client.post("/api/v1/logs", json=event, headers=tenant.headers)
    assert second.status_code == 201, second.text
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await count_logs(db, tenant.id) == 1
    assert await _rows_with_client_id(db, tenant.id, "id:evt-1") == 1
    # Only the first write announced itself to the indexer.
    assert await db.fetchval("SELECT count(*) FROM async_task WHERE tenant_id = $1", uuid.UUID(tenant.id)) == 1


async def test_idempotency_key_replay_answers_the_first_response(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "req-123"}
    body = orjson.dumps({"message": "charge card", "severity": "info"})
    headers["Content-Type"] = "application/json"
    first = await app_client.post("/api/v1/logs", content=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    second = await app_client.post("/api/v1/logs", content=body, headers=headers)
    assert second.status_code == 201, second.text
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await count_logs(db, tenant.id) == 1
    assert await _rows_with_client_id(db, tenant.id, "key:req-123") == 1


async def test_idempotency_key_reused_with_another_body_is_409(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "req-456"}
    first = await app_client.post("/api/v1/logs", json={"message": "first"}, headers=headers)
    assert first.status_code == 201, first.text
    second = await app_client.post("/api/v1/logs", json={"message": "second"}, headers=headers)
    error = assert_error(second, 409, "idempotency_key_reused")
    assert error["details"] == {"idempotency_key": "key:req-456"}
    rows = await db.fetch("SELECT message FROM logs WHERE tenant_id = $1", uuid.UUID(tenant.id))
    assert [r["message"] for r in rows] == ["first"]
    # The key still answers its own body.
    third = await app_client.post("/api/v1/logs", json={"message": "first"}, headers=headers)
    assert third.status_code == 201 and third.json() == first.json()


async def test_idempotency_key_and_body_id_are_separate_namespaces(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    by_header = await app_client.post(
        "/api/v1/logs", json={"message": "a"}, headers={**tenant.headers, "Idempotency-Key": "same"}
    )
    by_body = await app_client.post("/api/v1/logs", json={"message": "a", "id": "same"}, headers=tenant.headers)
    assert by_header.status_code == by_body.status_code == 201
    assert by_header.json()["id"] != by_body.json()["id"]
    assert await count_logs(db, tenant.id) == 2


@pytest.mark.parametrize("key", ["", "k" * 201])
async def test_idempotency_key_out_of_bounds_is_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, key: str
) -> None:
    response = await app_client.post(
        "/api/v1/logs", json={"message": "x"}, headers={**tenant.headers, "Idempotency-Key": key}
    )
    assert_error(response, 422, "invalid_idempotency_key")
    assert await count_logs(db, tenant.id) == 0


async def test_concurrent_duplicates_with_idempotency_key_store_exactly_one_row(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "burst-1"}
    responses = await asyncio.gather(
        *(app_client.post("/api/v1/logs", json={"message": "once"}, headers=headers) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert len({(r.json()["id"], r.json()["timestamp"]) for r in responses}) == 1
    originals = [r for r in responses if "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1
    assert await count_logs(db, tenant.id) == 1


async def test_concurrent_duplicates_with_body_id_store_exactly_one_row(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    event = {"message": "once", "id": "burst-2"}
    responses = await asyncio.gather(
        *(app_client.post("/api/v1/logs", json=event, headers=tenant.headers) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_logs(db, tenant.id) == 1
    assert await _rows_with_client_id(db, tenant.id, "id:burst-2") == 1


async def test_idempotency_is_per_tenant(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    """Another tenant's key or id never answers with the first tenant's event (that would leak it)."""
    mine = await app_client.post(
        "/api/v1/logs", json={"message": "a", "id": "shared"}, headers={**tenant.headers, "Idempotency-Key": "k"}
    )
    theirs = await app_client.post(
        "/api/v1/logs",
        json={"message": "a", "id": "shared"},
        headers={**other_tenant.headers, "Idempotency-Key": "k"},
    )
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await count_logs(db, tenant.id) == 1
    assert await count_logs(db, other_tenant.id) == 1
