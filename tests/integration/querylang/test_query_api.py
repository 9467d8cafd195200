"""The language over HTTP: /api/v1/query, /api/v1/logs?q=, the export and the live stream."""

from __future__ import annotations

import orjson

from tests.conftest import create_tenant
from tests.integration.conftest import Stack
from tests.integration.querylang.conftest import World


async def test_query_endpoint_returns_a_typed_table(world: World) -> None:
    client, headers = world.stack.client, world.a_headers
    response = await client.get(
        "/api/v1/query", params={"q": "| stats count() by service | sort count desc | limit 2"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == [{"name": "service", "type": "string"}, {"name": "count", "type": "integer"}]
    assert body["rows"] == [["billing", 5], ["auth", 3]]
    assert body["source"] == "opensearch" == response.headers["x-logplane-source"]


async def test_what_opensearch_cannot_answer_is_answered_by_postgres(world: World) -> None:
    client, headers = world.stack.client, world.a_headers
    response = await client.get(
        "/api/v1/query", params={"q": 'message:~"timeout after \\d+ms" | stats count()'}, headers=headers
    )
    assert response.status_code == 200 and response.json()["rows"] == [[2]]
    assert response.headers["x-logplane-source"] == "postgres"
    logs = await client.get("/api/v1/logs", params={"q": "attr.duration_ms:>1000"}, headers=headers)
    assert logs.status_code == 200 and logs.headers["x-logplane-source"] == "postgres"
    assert sorted(i["attributes"]["n"] for i in logs.json()["items"]) == ["06", "09"]


async def test_search_and_export_take_the_language(world: World) -> None:
    client, headers = world.stack.client, world.a_headers
    q = "(timeout OR reset) -lock severity:>=error"
    logs = await client.get("/api/v1/logs", params={"q": q}, headers=headers)
    assert logs.status_code == 200 and logs.headers["x-logplane-source"] == "opensearch"
    assert sorted(i["attributes"]["n"] for i in logs.json()["items"]) == ["06", "07", "16"]
    export = await client.get("/api/v1/logs/export", params={"q": q, "format": "ndjson"}, headers=headers)
    assert export.status_code == 200
    lines = [orjson.loads(line) for line in export.content.splitlines() if line]
    assert sorted(line["attributes"]["n"] for line in lines) == ["06", "07", "16"]


async def test_errors_name_the_column_and_a_pipeline_is_refused_where_it_does_not_fit(world: World) -> None:
    client, headers = world.stack.client, world.a_headers
    bad = await client.get("/api/v1/logs", params={"q": "service: x"}, headers=headers)
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_query" and error["details"]["column"] == 9
    assert error["message"] == 'expected a value after "service:" at column 9'
    piped = await client.get("/api/v1/logs", params={"q": "x | stats count()"}, headers=headers)
    assert piped.status_code == 422 and "/api/v1/query" in piped.json()["error"]["message"]
    export = await client.get("/api/v1/logs/export", params={"q": "x | top 3 by host"}, headers=headers)
    assert export.status_code == 422
    query = await client.get("/api/v1/query", params={"q": "| stats nope()"}, headers=headers)
    assert query.status_code == 422 and query.json()["error"]["details"]["column"] == 9


async def test_a_second_tenant_sees_nothing_of_the_first(world: World, stack: Stack) -> None:
    stranger = await create_tenant(stack.client)
    for q in ("*", "| stats count() by service", 'message:~"." | stats count()', "payment"):
        response = await stack.client.get("/api/v1/query", params={"q": q}, headers=stranger.headers)
        assert response.status_code == 200, response.text
        assert response.json()["rows"] in ([], [[0]]), q
