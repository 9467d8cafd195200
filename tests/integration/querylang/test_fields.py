"""Field discovery over the events of events.py, and a second tenant's view of its own only."""

from __future__ import annotations

from typing import Any

from tests.integration.querylang.conftest import World


def _by_name(body: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {f["name"]: (f["type"], f["count"]) for f in body["fields"]}


async def test_fields_with_types_and_counts(world: World) -> None:
    client = world.stack.client
    response = await client.get("/api/v1/fields", params={"from": "now-1d"}, headers=world.a_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["events"] == 18 and body["sampled"] is False
    fields = _by_name(body)
    assert fields["message"] == ("text", 18) and fields["severity"] == ("severity", 18)
    assert fields["service"] == ("keyword", 17) and fields["user_id"] == ("keyword", 4)
    assert fields["action"] == ("keyword", 6) and "span_id" not in fields
    assert fields["attr.duration_ms"] == ("number", 11)
    assert fields["attr.user"] == ("string", 6)
    assert fields["attr.order.region"] == ("string", 2) and fields["attr.order.total"] == ("number", 2)
    assert fields["attr.retry"] == ("boolean", 1) and fields["attr.status"] == ("number", 3)
    assert "attr.order" not in fields  # an object is a path, not a value


async def test_top_values(world: World) -> None:
    client = world.stack.client
    services = await client.get("/api/v1/fields/service/values", params={"limit": 2}, headers=world.a_headers)
    assert services.status_code == 200
    assert services.json()["values"] == [{"value": "billing", "count": 5}, {"value": "auth", "count": 3}]
    assert services.headers["x-logplane-source"] == "opensearch"
    paths = await client.get(
        "/api/v1/fields/attr.path/values", params={"q": "severity:>=warn"}, headers=world.a_headers
    )
    assert [v["value"] for v in paths.json()["values"]] == ["/api/v1/orders", "/login", "/reset", "/search"]
    assert paths.headers["x-logplane-source"] == "postgres"
    bad = await client.get("/api/v1/fields/message/values", headers=world.a_headers)
    assert bad.status_code == 422


async def test_a_second_tenant_discovers_only_its_own(world: World) -> None:
    client = world.stack.client
    headers = {"Authorization": f"Bearer {world.b_key}"}
    fields = _by_name((await client.get("/api/v1/fields", params={"from": "now-1d"}, headers=headers)).json())
    assert fields["message"] == ("text", 3) and fields["attr.path"] == ("string", 1)
    assert fields["attr.user"] == ("string", 2) and "attr.status" not in fields
    values = (await client.get("/api/v1/fields/service/values", headers=headers)).json()["values"]
    assert values == [{"value": "billing", "count": 2}, {"value": "search", "count": 1}]
