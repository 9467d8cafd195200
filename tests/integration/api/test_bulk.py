"""Bulk ingest: JSON arrays, NDJSON, gzip; per-event errors with their index."""

from __future__ import annotations

import gzip
import uuid
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import assert_error, count_logs
from tests.integration.reindex_tasks import ANNOUNCED

BULK = "/api/v1/logs/bulk"


def _ndjson(events: list[Any]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events) + b"\n"


async def _messages(db: asyncpg.Connection, tenant_id: str) -> list[str]:
    rows = await db.fetch("SELECT message FROM logs WHERE tenant_id = $1 ORDER BY message", uuid.UUID(tenant_id))
    return [r["message"] for r in rows]


async def test_json_array_is_stored_with_one_outbox_task(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    events = [{"message": f"m{i}", "severity": "error"} for i in range(3)]
    response = await app_client.post(BULK, json=events, headers=tenant.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"], body["errors"]) == (3, 0, [])
    assert [item["index"] for item in body["items"]] == [0, 1, 2]
    ids = {item["id"] for item in body["items"]}
    assert len(ids) == 3
    rows = await db.fetch("SELECT id, message, severity FROM logs WHERE tenant_id = $1", uuid.UUID(tenant.id))
    assert {str(r["id"]) for r in rows} == ids
    assert {r["severity"] for r in rows} == {17}
    assert await db.fetchval("SELECT count(*) FROM async_task WHERE tenant_id = $1", uuid.UUID(tenant.id)) == 1
    tasks = await db.fetch(ANNOUNCED + " AND t.tenant_id = $1", uuid.UUID(tenant.id))
    assert len(tasks) == 1
    assert (tasks[0]["task_type"], tasks[0]["status"]) == ("reindex", "pending")
    payload = orjson.loads(tasks[0]["payload"])
    assert set(tasks[0]["log_ids"]) == ids and payload["count"] == 3


@pytest.mark.parametrize(
    "content_type", ["application/x-ndjson", "application/ndjson", "application/x-ndjson; charset=utf-8"]
)
async def test_ndjson_is_stored(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, content_type: str
) -> None:
    content = _ndjson([{"message": "a"}, {"message": "b"}]) + b"\n   \n" + _ndjson([{"message": "c"}])
    response = await app_client.post(BULK, content=content, headers={**tenant.headers, "Content-Type": content_type})
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 3
    assert await _messages(db, tenant.id) == ["a", "b", "c"]


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
async def test_gzip_bodies_are_stored(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, content_type: str
) -> None:
    events = [{"message": f"z{i}"} for i in range(100)]
    raw = orjson.dumps(events) if content_type == "application/json" else _ndjson(events)
    response = await app_client.post(
        BULK,
        content=gzip.compress(raw),
        headers={**tenant.headers, "Content-Type": content_type, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 100
    assert await count_logs(db, tenant.id) == 100


async def test_partial_batch_is_207_and_stores_the_good_events(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    events: list[Any] = [
        {"message": "good-0"},
        {"message": "bad severity", "severity": "loud"},
        {"message": "good-2", "severity": "warning"},
        {"message": "smuggled", "tenant_id": other_tenant.id},
        "not an object",
        {"message": ""},
        {"message": "x" * (64 * 1024 + 1)},
        {"message": "good-7"},
    ]
    response = await app_client.post(BULK, json=events, headers=tenant.headers)
    assert response.status_code == 207, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 5)
    for error in body["errors"]:
        assert set(error) == {"index", "code", "message"}
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (1, "invalid_field"),
        (3, "unknown_field"),
        (4, "invalid_event"),
        (5, "message_required"),
        (6, "event_too_large"),
    ]
    assert [item["index"] for item in body["items"]] == [0, 2, 7]
    assert await _messages(db, tenant.id) == ["good-0", "good-2", "good-7"]
    assert await count_logs(db, other_tenant.id) == 0


async def test_ndjson_line_that_is_not_json_is_an_item_error(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    content = b'{"message": "ok"}\n{broken\n{"message": "ok too"}\n'
    response = await app_client.post(
        BULK, content=content, headers={**tenant.headers, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 207, response.text
    body = response.json()
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(1, "invalid_json")]
    assert await _messages(db, tenant.id) == ["ok", "ok too"]


async def test_all_bad_batch_is_422_with_the_error_body(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post(
        BULK, json=[{"severity": "info"}, {"message": "x", "severity": "nope"}], headers=tenant.headers
    )
    error = assert_error(response, 422, "all_events_rejected")
    assert [e["index"] for e in error["details"]["errors"]] == [0, 1]
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 2)
    assert await count_logs(db, tenant.id) == 0
    assert await db.fetchval("SELECT count(*) FROM async_task WHERE tenant_id = $1", uuid.UUID(tenant.id)) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"[]", "application/json"), (b"", "application/x-ndjson"), (b"\n\n  \n", "application/x-ndjson")],
)
async def test_empty_batch_is_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, content: bytes, content_type: str
) -> None:
    response = await app_client.post(BULK, content=content, headers={**tenant.headers, "Content-Type": content_type})
    assert_error(response, 422, "empty_batch")


@pytest.mark.parametrize(
    ("content", "code"),
    [(b'{"message": "not an array"}', "invalid_batch"), (b"[{", "invalid_json"), (b"", "invalid_json")],
)
async def test_json_bulk_body_that_is_not_an_array_is_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, content: bytes, code: str
) -> None:
    response = await app_client.post(
        BULK, content=content, headers={**tenant.headers, "Content-Type": "application/json"}
    )
    assert_error(response, 422, code)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
async def test_unsupported_content_type_is_415(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, content_type: str
) -> None:
    response = await app_client.post(
        BULK, content=b'[{"message": "x"}]', headers={**tenant.headers, "Content-Type": content_type}
    )
    assert_error(response, 415, "unsupported_media_type")
    assert await count_logs(db, tenant.id) == 0


async def test_unsupported_content_encoding_is_415(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await app_client.post(
        BULK,
        content=b'[{"message": "x"}]',
        headers={**tenant.headers, "Content-Type": "application/json", "Content-Encoding": "br"},
    )
    assert_error(response, 415, "unsupported_encoding")


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b'[{"message": "x"}]')[:-10]])
async def test_corrupt_or_truncated_gzip_is_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, content: bytes
) -> None:
    response = await app_client.post(
        BULK,
        content=content,
        headers={**tenant.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_error(response, 422, "invalid_gzip")


async def test_duplicate_ids_within_a_batch_store_once(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    events = [{"message": "dup", "id": "same"}, {"message": "dup", "id": "same"}, {"message": "other", "id": "b"}]
    response = await app_client.post(BULK, json=events, headers=tenant.headers)
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert items[0]["id"] == items[1]["id"] != items[2]["id"]
    assert await count_logs(db, tenant.id) == 2
    # A retry of the whole batch stores nothing more and answers the same ids.
    again = await app_client.post(BULK, json=events, headers=tenant.headers)
    assert again.status_code == 201, again.text
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in items]
    assert await count_logs(db, tenant.id) == 2


async def test_nul_character_rejects_only_its_own_event(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    events = [{"message": "fine"}, {"message": "bad\u0000"}, {"message": "also fine", "attributes": {"a": "\u0000"}}]
    response = await app_client.post(BULK, json=events, headers=tenant.headers)
    assert response.status_code == 207, response.text
    assert [(e["index"], e["code"]) for e in response.json()["errors"]] == [(1, "invalid_field"), (2, "invalid_field")]
    assert await _messages(db, tenant.id) == ["fine"]
