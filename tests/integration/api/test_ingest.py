"""Single-event ingest: credentials in, a row in `logs` and its outbox task in `async_task` out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import assert_error, bearer, count_logs, issue_token
from tests.integration.reindex_tasks import ANNOUNCED


async def _stored(db: asyncpg.Connection, log_id: str) -> asyncpg.Record:
    row = await db.fetchrow("SELECT * FROM logs WHERE id = $1", uuid.UUID(log_id))
    assert row is not None, f"log {log_id} is not in PostgreSQL"
    return row


async def test_key_to_token_to_ingest_stores_the_row_and_its_reindex_task(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    issued = await app_client.post("/api/v1/auth/token", json={"api_key": tenant.api_key})
    assert issued.status_code == 200, issued.text
    grant = issued.json()
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] > 0
    assert set(grant["scope"].split()) == {"ingest", "read", "admin"}
    jwt = grant["access_token"]
    assert not jwt.startswith("lp_") and jwt.count(".") == 2

    response = await app_client.post(
        "/api/v1/logs",
        json={
            "message": "payment accepted",
            "severity": "warning",
            "service": "billing",
            "host": "web-1",
            "user_id": "u-42",
            "action": "pay",
            "trace_id": "abc123",
            "attributes": {"order": {"id": 7, "items": [1, 2]}},
        },
        headers=bearer(jwt),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "timestamp"}
    assert "Idempotent-Replayed" not in response.headers

    row = await _stored(db, body["id"])
    assert str(row["tenant_id"]) == tenant.id
    assert row["message"] == "payment accepted"
    assert row["severity"] == 13
    assert (row["service"], row["host"], row["user_id"], row["action"], row["trace_id"]) == (
        "billing",
        "web-1",
        "u-42",
        "pay",
        "abc123",
    )
    assert orjson.loads(row["attributes"]) == {"order": {"id": 7, "items": [1, 2]}}
    assert row["timestamp"] == datetime.fromisoformat(body["timestamp"])
    # No timestamp given: the time of receipt.
    assert abs(row["timestamp"] - datetime.now(UTC)) < timedelta(minutes=1)

    tasks = await db.fetch(ANNOUNCED + " AND $1 = ANY(c.log_ids)", uuid.UUID(body["id"]))
    assert len(tasks) == 1
    task = tasks[0]
    assert (task["task_type"], task["status"], str(task["tenant_id"])) == ("reindex", "pending", tenant.id)
    assert task["log_ids"] == [body["id"]]
    payload = orjson.loads(task["payload"])
    assert payload["count"] == 1 and payload["from"] == payload["to"] == body["timestamp"]


async def test_api_key_as_bearer_stores_the_event(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post("/api/v1/logs", json={"message": "direct key"}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    row = await _stored(db, response.json()["id"])
    assert (str(row["tenant_id"]), row["message"], row["severity"]) == (tenant.id, "direct key", 9)


async def test_x_api_key_header_stores_the_event(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post(
        "/api/v1/logs", json={"message": "x-api-key"}, headers={"X-API-Key": tenant.api_key}
    )
    assert response.status_code == 201, response.text
    row = await _stored(db, response.json()["id"])
    assert str(row["tenant_id"]) == tenant.id


async def test_jwt_in_x_api_key_header_is_also_accepted(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    jwt = await issue_token(app_client, tenant.api_key)
    response = await app_client.post("/api/v1/logs", json={"message": "jwt"}, headers={"X-API-Key": jwt})
    assert response.status_code == 201, response.text
    assert str((await _stored(db, response.json()["id"]))["tenant_id"]) == tenant.id


async def test_given_timestamp_is_kept_and_normalised_to_utc(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    when = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=123000)
    local = when.astimezone(timezone(timedelta(hours=2)))
    response = await app_client.post(
        "/api/v1/logs", json={"message": "dated", "timestamp": local.isoformat()}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["timestamp"]) == when
    assert (await _stored(db, response.json()["id"]))["timestamp"] == when


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("warning", 13),
        ("WARN", 13),
        ("err", 17),
        ("Error", 17),
        ("critical", 21),
        ("debug", 5),
        ("trace", 1),
        (9, 9),
        (10, 9),
        (21, 21),
        (24, 21),
        (2, 1),
        ("17", 17),
    ],
)
async def test_severity_is_normalised_before_it_is_stored(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, given: Any, stored: int
) -> None:
    response = await app_client.post("/api/v1/logs", json={"message": "sev", "severity": given}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    assert (await _stored(db, response.json()["id"]))["severity"] == stored


@pytest.mark.parametrize("severity", ["loud", "", 0, 25, -1, True, 3.5, None, ["error"]])
async def test_invalid_severity_is_refused_and_not_stored(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, severity: Any
) -> None:
    response = await app_client.post(
        "/api/v1/logs", json={"message": "sev", "severity": severity}, headers=tenant.headers
    )
    error = assert_error(response, 422, "invalid_field")
    assert error["details"] == {"field": "severity"}
    assert await count_logs(db, tenant.id) == 0


@pytest.mark.parametrize(
    ("event", "code", "field"),
    [
        ({"message": "naive", "timestamp": "2026-01-01T10:00:00"}, "invalid_field", "timestamp"),
        ({"message": "bad date", "timestamp": "yesterday"}, "invalid_field", "timestamp"),
        ({"severity": "info"}, "missing_field", "message"),
        ({"message": 12}, "invalid_field", "message"),
        ({"message": "x", "attributes": [1, 2]}, "invalid_field", "attributes"),
        ({"message": "x", "tenant_id": "00000000-0000-0000-0000-000000000001"}, "unknown_field", "tenant_id"),
        ({"message": "x", "scope": "admin"}, "unknown_field", "scope"),
        ({"message": "x", "id": ""}, "invalid_field", "id"),
    ],
)
async def test_invalid_event_shape_is_refused_with_its_field(
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    db: asyncpg.Connection,
    event: dict[str, Any],
    code: str,
    field: str,
) -> None:
    response = await app_client.post("/api/v1/logs", json=event, headers=tenant.headers)
    error = assert_error(response, 422, code)
    assert error["details"]["field"] == field
    assert await count_logs(db, tenant.id) == 0


async def test_timestamp_too_far_in_the_future_is_refused(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    future = datetime.now(UTC) + timedelta(hours=1)
    response = await app_client.post(
        "/api/v1/logs", json={"message": "later", "timestamp": future.isoformat()}, headers=tenant.headers
    )
    error = assert_error(response, 422, "timestamp_in_future")
    assert error["details"]["field"] == "timestamp"
    assert await count_logs(db, tenant.id) == 0


async def test_timestamp_slightly_ahead_is_within_the_allowed_skew(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=2)
    response = await app_client.post(
        "/api/v1/logs", json={"message": "clock skew", "timestamp": soon.isoformat()}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("message", ["", "   "])
async def test_empty_message_is_refused(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, message: str
) -> None:
    response = await app_client.post("/api/v1/logs", json={"message": message}, headers=tenant.headers)
    assert_error(response, 422, "message_required")
    assert await count_logs(db, tenant.id) == 0


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


async def test_attributes_too_deep_are_refused(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    ok = await app_client.post(
        "/api/v1/logs", json={"message": "deep enough", "attributes": _nested(5)}, headers=tenant.headers
    )
    assert ok.status_code == 201, ok.text
    response = await app_client.post(
        "/api/v1/logs", json={"message": "too deep", "attributes": _nested(12)}, headers=tenant.headers
    )
    error = assert_error(response, 422, "attributes_too_deep")
    assert error["details"] == {"max_depth": 8}
    # Lists count as levels too: a bomb cannot hide in arrays.
    listed: Any = 1
    for _ in range(10):
        listed = [listed]
    response = await app_client.post(
        "/api/v1/logs", json={"message": "deep list", "attributes": {"l": listed}}, headers=tenant.headers
    )
    assert_error(response, 422, "attributes_too_deep")
    assert await count_logs(db, tenant.id) == 1


async def test_too_many_attribute_keys_are_refused(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    ok = await app_client.post(
        "/api/v1/logs",
        json={"message": "256 keys", "attributes": {f"k{i}": i for i in range(256)}},
        headers=tenant.headers,
    )
    assert ok.status_code == 201, ok.text
    response = await app_client.post(
        "/api/v1/logs",
        json={"message": "257 keys", "attributes": {f"k{i}": i for i in range(257)}},
        headers=tenant.headers,
    )
    error = assert_error(response, 422, "too_many_attributes")
    assert error["details"] == {"max_keys": 256}
    # Nested keys count against the same budget.
    nested = {f"g{g}": {f"k{i}": i for i in range(100)} for g in range(3)}
    response = await app_client.post(
        "/api/v1/logs", json={"message": "nested keys", "attributes": nested}, headers=tenant.headers
    )
    assert_error(response, 422, "too_many_attributes")
    assert await count_logs(db, tenant.id) == 1


async def test_message_over_the_event_limit_is_413(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post("/api/v1/logs", json={"message": "x" * (64 * 1024 + 1)}, headers=tenant.headers)
    error = assert_error(response, 413, "event_too_large")
    assert error["details"]["field"] == "message"
    assert await count_logs(db, tenant.id) == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b'{"message": "x"', "invalid_json"),
        (b'[{"message": "x"}]', "invalid_event"),
        (b'"just a string"', "invalid_event"),
    ],
)
async def test_body_that_is_not_one_json_object_is_422(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, content: bytes, code: str
) -> None:
    response = await app_client.post(
        "/api/v1/logs", content=content, headers={**tenant.headers, "Content-Type": "application/json"}
    )
    assert_error(response, 422, code)
    assert await count_logs(db, tenant.id) == 0


async def test_gzip_single_event_is_accepted(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    import gzip

    response = await app_client.post(
        "/api/v1/logs",
        content=gzip.compress(orjson.dumps({"message": "zipped"})),
        headers={**tenant.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201, response.text
    assert (await _stored(db, response.json()["id"]))["message"] == "zipped"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"message": "a\u0000b"}, "message"),
        ({"message": "ok", "service": "s\u0000"}, "service"),
        ({"message": "ok", "id": "i\u0000"}, "id"),
        ({"message": "ok", "attributes": {"k": "a\u0000b"}}, "attributes"),
        ({"message": "ok", "attributes": {"k\u0000": 1}}, "attributes"),
        ({"message": "ok", "attributes": {"l": [{"deep": ["\u0000"]}]}}, "attributes"),
    ],
)
async def test_nul_characters_are_refused_not_a_server_error(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, event: dict[str, Any], field: str
) -> None:
    """PostgreSQL text and jsonb cannot store U+0000; such an event is the client's error, not a 500."""
    response = await app_client.post("/api/v1/logs", json=event, headers=tenant.headers)
    error = assert_error(response, 422, "invalid_field")
    assert error["details"]["field"] == field
    assert await count_logs(db, tenant.id) == 0


@pytest.mark.parametrize(
    "timestamp", ["0001-01-01T00:00:00Z", "1900-02-28T23:59:59-05:00", "1970-01-01T00:59:59+01:00"]
)
async def test_timestamps_before_the_unix_epoch_are_refused(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection, timestamp: str
) -> None:
    """Year 1 used to be stored as -infinity while the answer said 0001-01-01 (or to fail with a 500)."""
    response = await app_client.post(
        "/api/v1/logs", json={"message": "old", "timestamp": timestamp}, headers=tenant.headers
    )
    error = assert_error(response, 422, "invalid_field")
    assert error["details"] == {"field": "timestamp"}
    assert await count_logs(db, tenant.id) == 0


async def test_the_epoch_itself_is_stored_exactly(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    response = await app_client.post(
        "/api/v1/logs", json={"message": "epoch", "timestamp": "1970-01-01T01:00:00+01:00"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    assert (await _stored(db, response.json()["id"]))["timestamp"] == datetime(1970, 1, 1, tzinfo=UTC)


async def test_a_float_past_64_bit_integers_reads_back_as_the_float(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # jsonb prints 1.5e300 as a 301-digit integer; read with the stdlib json it became an int no
    # JSON encoder of ours can write, and reading the event answered 500.
    stored = await app_client.post(
        "/api/v1/logs", json={"message": "huge", "attributes": {"big": 1.5e300, "small": 2}}, headers=tenant.headers
    )
    assert stored.status_code == 201, stored.text
    response = await app_client.get(f"/api/v1/logs/{stored.json()['id']}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["attributes"] == {"big": 1.5e300, "small": 2}
