"""Saved searches: CRUD over HTTP, checked queries and times, and isolation between tenants
(by the API and by row-level security underneath)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import plain_url

BASE = "/api/v1/saved-searches"


@pytest.fixture
async def as_app(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(plain_url(postgres_url), server_settings={"role": "logplane_app"})
    try:
        yield conn
    finally:
        await conn.close()


async def test_crud(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    body = {"name": "slow checkout", "query": "service:billing attr.duration_ms:>250", "from": "now-1h"}
    created = await app_client.post(BASE, json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    saved = created.json()
    assert (saved["name"], saved["query"], saved["from"], saved["to"]) == (body["name"], body["query"], "now-1h", None)
    assert (await app_client.post(BASE, json=body, headers=tenant.headers)).status_code == 409
    listed = (await app_client.get(BASE, headers=tenant.headers)).json()["items"]
    assert [s["id"] for s in listed] == [saved["id"]]
    replaced = await app_client.put(
        f"{BASE}/{saved['id']}",
        json={"name": "errors by service", "query": "severity:>=error | stats count() by service", "to": "now"},
        headers=tenant.headers,
    )
    assert replaced.status_code == 200 and replaced.json()["query"].endswith("by service")
    got = (await app_client.get(f"{BASE}/{saved['id']}", headers=tenant.headers)).json()
    assert (got["name"], got["from"], got["to"]) == ("errors by service", None, "now")
    assert (await app_client.delete(f"{BASE}/{saved['id']}", headers=tenant.headers)).status_code == 204
    assert (await app_client.get(f"{BASE}/{saved['id']}", headers=tenant.headers)).status_code == 404


async def test_queries_and_times_are_checked(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    bad_query = await app_client.post(BASE, json={"name": "x", "query": "service:"}, headers=tenant.headers)
    assert bad_query.status_code == 422
    assert bad_query.json()["error"]["details"] == {"field": "query", "column": 9}
    bad_time = await app_client.post(
        BASE, json={"name": "x", "query": "a", "from": "yesterday"}, headers=tenant.headers
    )
    assert bad_time.status_code == 422 and bad_time.json()["error"]["details"]["field"] == "from"
    blank = await app_client.post(BASE, json={"name": "  ", "query": "a"}, headers=tenant.headers)
    assert blank.status_code == 422
    for name in ("a\\u0000b", "\\ud800"):  # text PostgreSQL cannot hold: 422, not a failed INSERT
        content = ('{"name": "' + name + '", "query": "a"}').encode()
        unstorable = await app_client.post(
            BASE, content=content, headers={**tenant.headers, "content-type": "application/json"}
        )
        assert unstorable.status_code == 422, unstorable.text


async def test_another_tenant_sees_and_touches_nothing(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle, as_app: asyncpg.Connection
) -> None:
    mine = (await app_client.post(BASE, json={"name": "mine", "query": "secret"}, headers=tenant.headers)).json()
    url = f"{BASE}/{mine['id']}"
    assert (await app_client.get(BASE, headers=other_tenant.headers)).json()["items"] == []
    assert (await app_client.get(url, headers=other_tenant.headers)).status_code == 404
    put = await app_client.put(url, json={"name": "stolen", "query": "x"}, headers=other_tenant.headers)
    assert put.status_code == 404
    assert (await app_client.delete(url, headers=other_tenant.headers)).status_code == 404
    # The same name is free in another tenant.
    same = await app_client.post(BASE, json={"name": "mine", "query": "other"}, headers=other_tenant.headers)
    assert same.status_code == 201
    assert (await app_client.get(url, headers=tenant.headers)).json()["name"] == "mine"
    # Row-level security: acting as the other tenant, the row is invisible even by id.
    await as_app.execute("SELECT set_config('logplane.tenant_id', $1, false)", other_tenant.id)
    assert await as_app.fetchval("SELECT count(*) FROM saved_searches WHERE id = $1", uuid.UUID(mine["id"])) == 0
    with pytest.raises(asyncpg.PostgresError):
        await as_app.execute(
            "INSERT INTO saved_searches (tenant_id, id, name, query) VALUES ($1, $2, 'x', 'y')",
            uuid.UUID(tenant.id),
            uuid.uuid4(),
        )
