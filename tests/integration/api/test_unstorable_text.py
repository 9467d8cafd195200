"""Text PostgreSQL cannot store (U+0000, lone surrogates) costs only its own event, never its neighbours.

Raw text lines are sanitised (the character becomes U+FFFD, as undecodable bytes already do);
structured events and identifiers are refused one by one (207 / a per-item error)."""

from __future__ import annotations

import httpx
import orjson

from tests.conftest import TenantHandle
from tests.integration.api.conftest import assert_error, count_logs


def _raw(tenant: TenantHandle) -> dict[str, str]:
    return {**tenant.headers, "Content-Type": "text/plain"}


async def test_a_nul_in_a_raw_line_is_sanitised_and_its_neighbours_stored(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db
) -> None:
    body = b"first fine line\nbad \x00 line\n" + b'{"msg": "json \\u0000 escape", "k\\u0000": "v"}\nlast fine line'
    response = await app_client.post("/api/v1/logs/raw", content=body, headers=_raw(tenant))
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 4
    messages = [r["message"] for r in await db.fetch("SELECT message FROM logs WHERE tenant_id = $1", _uuid(tenant))]
    assert sorted(messages) == ["bad \ufffd line", "first fine line", "json \ufffd escape", "last fine line"]


async def test_a_nul_in_a_native_bulk_event_refuses_only_that_event(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db
) -> None:
    events = b'{"message": "ok 1"}\n{"message": "bad \\u0000"}\n{"message": "lone \\ud800"}\n{"message": "ok 2"}'
    response = await app_client.post(
        "/api/v1/logs/bulk", content=events, headers={**tenant.headers, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["accepted"] == 2 and [e["index"] for e in body["errors"]] == [1, 2]
    assert await count_logs(db, tenant.id) == 2


async def test_a_nul_in_an_elasticsearch_id_refuses_only_that_item(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db
) -> None:
    body = b"".join(
        orjson.dumps(line) + b"\n"
        for line in (
            {"index": {"_id": "fine-1"}},
            {"message": "kept 1"},
            {"index": {"_id": "bad\x00id"}},
            {"message": "refused"},
            {"index": {}},
            {"message": "nul \x00 in the message"},
            {"index": {}},
            {"message": "kept 2", "attr\x00key": 1},
            {"index": {"_id": "fine-2"}},
            {"message": "kept 3"},
        )
    )
    response = await app_client.post(
        "/api/v1/compat/elasticsearch/app/_bulk",
        content=body,
        headers={"X-API-Key": tenant.api_key, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    statuses = [next(iter(item.values()))["status"] for item in response.json()["items"]]
    assert statuses == [201, 400, 400, 400, 201]
    assert await count_logs(db, tenant.id) == 2


async def test_a_nul_in_a_query_parameter_is_422_not_500(
    app_client: httpx.AsyncClient, tenant: TenantHandle, db
) -> None:
    for path in ("/api/v1/logs", "/api/v1/logs/stats", "/api/v1/logs/export"):
        assert_error(await app_client.get(path, params={"service": "a\x00b"}, headers=tenant.headers), 422)
    raw = await app_client.post("/api/v1/logs/raw", params={"service": "a\x00"}, content=b"line", headers=_raw(tenant))
    assert_error(raw, 422, "invalid_character")
    assert_error(await app_client.delete("/api/v1/parsers/a%00b", headers=tenant.headers), 422)
    assert await count_logs(db, tenant.id) == 0


async def test_unstorable_names_and_patterns_are_422(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for body in ('{"name": "p1", "pattern": "(?P<message>a\\u0000)"}', '{"name": "p\\ud800", "pattern": "x"}'):
        response = await app_client.post(
            "/api/v1/parsers", content=body, headers={**tenant.headers, "Content-Type": "application/json"}
        )
        assert_error(response, 422)


def _uuid(tenant: TenantHandle):  # type: ignore[no-untyped-def]
    import uuid

    return uuid.UUID(tenant.id)


async def test_a_dry_run_of_text_with_a_lone_surrogate_is_answered(
    app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    # JSON may carry a lone surrogate (\ud800); the multi-line joiner measured it with a strict encode (500).
    response = await app_client.post(
        "/api/v1/parse",
        content='{"text": "bad \\ud800 char\\nnext"}',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert [e["event"]["message"] for e in response.json()["events"]] == ["bad \ufffd char", "next"]
