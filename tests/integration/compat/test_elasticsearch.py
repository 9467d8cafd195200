"""Elasticsearch/OpenSearch bulk compatibility, driven by opensearch-py against a real API process."""

from __future__ import annotations

import asyncio
import base64
import gzip
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from opensearchpy import OpenSearch, helpers

from tests.conftest import TenantHandle, create_tenant
from tests.integration.compat.conftest import limit_requests, search, total
from tests.integration.conftest import ApiProcess, Stack, running_worker

PREFIX = "/api/v1/compat/elasticsearch"


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def basic(api_key: str, user: str = "fluent-bit") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{api_key}".encode()).decode()}


def assert_es_error(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["x-elastic-product"] == "Elasticsearch"
    body = response.json()
    assert body["status"] == status
    error: dict[str, Any] = body["error"]
    assert error["type"] == kind, error
    assert error["root_cause"][0]["type"] == kind and error["reason"]
    return error


async def test_opensearch_py_bulk_becomes_searchable_for_its_tenant_only(stack: Stack, compat_api: ApiProcess) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    base = datetime.now(UTC) - timedelta(minutes=10)
    actions: list[dict[str, Any]] = [
        {
            "_index": "app-logs",
            "_id": f"doc-{i}",
            "_source": {
                "@timestamp": (base + timedelta(seconds=i)).isoformat(),
                "message": f"payment {i} failed",
                "log.level": "error" if i % 2 else "warning",
                "service": {"name": "billing", "version": "1.2"},
                "host": {"name": "web-1", "ip": "10.0.0.5"},
                "trace.id": f"trace-{i}",
                "span": {"id": f"span-{i}"},
                "user.id": "u-7",
                "event": {"action": "charge"},
                "kubernetes": {"pod": {"name": "billing-0"}},
            },
        }
        for i in range(4)
    ]
    actions.append({"_op_type": "create", "_index": "audit", "_source": {"msg": "audit line", "level": "info"}})

    def ship() -> tuple[dict[str, Any], tuple[int, Any], dict[str, Any]]:
        client = OpenSearch(hosts=[compat_api.url + PREFIX], http_auth=("shipper", tenant.api_key), timeout=15)
        try:
            info = client.info()
            shipped = helpers.bulk(client, actions)
            # Shippers resend after a timeout: the same `_id` stores nothing twice.
            replay = client.bulk(
                body=[
                    line
                    for a in actions[:2]
                    for line in ({"index": {"_index": a["_index"], "_id": a["_id"]}}, a["_source"])
                ]
            )
        finally:
            client.close()
        return info, shipped, replay

    info, shipped, replay = await asyncio.to_thread(ship)
    assert info["version"]["number"] == "8.11.0" and info["tagline"] == "You Know, for Search"
    assert shipped == (5, [])
    assert replay["errors"] is False
    assert [item["index"]["result"] for item in replay["items"]] == ["noop", "noop"]
    assert [item["index"]["_id"] for item in replay["items"]] == ["doc-0", "doc-1"]

    async with running_worker(stack.settings):
        events = await search(stack, tenant, 5)
        assert await total(stack, tenant, **{"attr.es_index": "audit"}) == 1
    assert len(events) == 5
    first = events[0]
    assert first["message"] == "payment 0 failed"
    assert first["severity"] == "WARN" and events[1]["severity"] == "ERROR"
    assert (first["service"], first["host"], first["trace_id"]) == ("billing", "web-1", "trace-0")
    assert (first["span_id"], first["user_id"], first["action"]) == ("span-0", "u-7", "charge")
    assert datetime.fromisoformat(first["timestamp"]) == base
    assert first["attributes"] == {
        "es_index": "app-logs",
        "service": {"version": "1.2"},
        "host": {"ip": "10.0.0.5"},
        "kubernetes": {"pod": {"name": "billing-0"}},
    }
    audit = events[-1]
    assert (audit["message"], audit["severity"], audit["attributes"]) == ("audit line", "INFO", {"es_index": "audit"})
    assert await total(stack, other) == 0


async def test_bulk_answers_per_item_in_the_elasticsearch_format(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    headers = {"X-API-Key": tenant.api_key, "Content-Type": "application/x-ndjson"}
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = (
        ndjson(
            {"index": {"_id": "e1"}},
            {"message": "fine", "log.level": "error"},
            {"create": {"_id": "c1"}},
            {"message": "created"},
            {"delete": {"_id": "e1"}},
            {"update": {"_id": "e1"}},
            {"doc": {"message": "changed"}},
        )
        + b'{"index": {}}\n{"message": broken\n'
        + ndjson(
            {"index": {}},
            {"level": "info"},
            {"index": {}},
            {"message": "from the future", "@timestamp": future},
            {"index": {"_index": "elsewhere"}},
            {"message": "auto id"},
        )
    )
    response = await stack.client.post(f"{PREFIX}/myindex/_bulk", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-elastic-product"] == "Elasticsearch"
    answer = response.json()
    assert answer["errors"] is True and isinstance(answer["took"], int)
    items = [next(iter(item.items())) for item in answer["items"]]
    assert [(action, item["status"]) for action, item in items] == [
        ("index", 201),
        ("create", 201),
        ("delete", 400),
        ("update", 400),
        ("index", 400),
        ("index", 201),
        ("index", 400),
        ("index", 201),
    ]
    assert [item.get("error", {}).get("type") for _, item in items] == [
        None,
        None,
        "illegal_argument_exception",
        "illegal_argument_exception",
        "parse_exception",
        None,
        "document_parsing_exception",
        None,
    ]
    assert items[0][1]["_id"] == "e1" and items[0][1]["result"] == "created" and items[0][1]["_index"] == "myindex"
    # A document without a message is kept whole rather than refused.
    kept = await stack.client.get(f"/api/v1/logs/{uuid.UUID(items[5][1]['_id'])}", headers=tenant.headers)
    assert kept.status_code == 200, kept.text
    assert orjson.loads(kept.json()["message"]) == {"level": "info"}
    assert items[6][1]["error"]["caused_by"]["type"] == "timestamp_in_future"
    auto = items[7][1]
    assert auto["_index"] == "elsewhere"
    stored = await stack.client.get(f"/api/v1/logs/{uuid.UUID(auto['_id'])}", headers=tenant.headers)
    assert stored.status_code == 200, stored.text
    assert stored.json()["attributes"] == {"es_index": "elsewhere"}

    # Again: `create` of a known _id is a version conflict (as in Elasticsearch), `index` a no-op.
    again = await stack.client.post(
        f"{PREFIX}/_bulk",
        content=ndjson(
            {"create": {"_index": "x", "_id": "c1"}},
            {"message": "created"},
            {"index": {"_index": "x", "_id": "e1"}},
            {"message": "fine"},
        ),
        headers=headers,
    )
    conflict, noop = (next(iter(item.values())) for item in again.json()["items"])
    assert conflict["status"] == 409 and conflict["error"]["type"] == "version_conflict_engine_exception"
    assert (noop["status"], noop["result"]) == (200, "noop")


async def test_credentials_basic_bearer_and_refusals(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    doc = ndjson({"index": {"_index": "i"}}, {"message": "m"})
    key_as_user = {"Authorization": "Basic " + base64.b64encode(f"{tenant.api_key}:".encode()).decode()}
    es_api_key = {"Authorization": "ApiKey " + base64.b64encode(f"beats:{tenant.api_key}".encode()).decode()}
    for headers in (
        basic(tenant.api_key),
        key_as_user,
        es_api_key,
        {"Authorization": f"Bearer {tenant.api_key}"},
        {"X-API-Key": tenant.api_key},
    ):
        ok = await stack.client.post(f"{PREFIX}/_bulk", content=doc, headers=headers)
        assert ok.status_code == 200 and ok.json()["errors"] is False, ok.text
    info = await stack.client.get(f"{PREFIX}/", headers=basic(tenant.api_key))
    assert info.status_code == 200 and info.json()["version"]["number"] == "8.11.0"
    assert info.headers["x-elastic-product"] == "Elasticsearch"
    health = await stack.client.get(f"{PREFIX}/_cluster/health", headers=basic(tenant.api_key))
    assert health.status_code == 200 and health.json()["status"] == "green"
    license_ = await stack.client.get(f"{PREFIX}/_license", headers=basic(tenant.api_key))
    assert license_.json()["license"]["status"] == "active"
    head = await stack.client.head(PREFIX, headers=basic(tenant.api_key))
    assert head.status_code == 200 and head.headers["x-elastic-product"] == "Elasticsearch"

    refused = await stack.client.post(f"{PREFIX}/_bulk", content=doc, headers=basic("lp_not-a-key"))
    assert_es_error(refused, 401, "security_exception")
    assert "Basic" in refused.headers["www-authenticate"]
    assert_es_error(await stack.client.post(f"{PREFIX}/_bulk", content=doc), 401, "security_exception")
    assert_es_error(
        await stack.client.get(f"{PREFIX}/", headers={"Authorization": "Basic %%%"}), 401, "security_exception"
    )
    reader = await stack.client.post(
        "/api/v1/keys", json={"name": "reader", "scopes": ["read"]}, headers=tenant.headers
    )
    assert reader.status_code == 201, reader.text
    forbidden = await stack.client.post(f"{PREFIX}/_bulk", content=doc, headers=basic(reader.json()["api_key"]))
    assert_es_error(forbidden, 403, "security_exception")


async def test_malformed_bodies_are_400_and_oversized_413(stack: Stack) -> None:
    tenant: TenantHandle = await create_tenant(stack.client, limits={"max_body_bytes": 2048})
    headers = basic(tenant.api_key)
    not_json = await stack.client.post(f"{PREFIX}/_bulk", content=b"{oops\n{}\n", headers=headers)
    assert (
        "Malformed action/metadata line [1]" in assert_es_error(not_json, 400, "illegal_argument_exception")["reason"]
    )
    unknown = await stack.client.post(f"{PREFIX}/_bulk", content=ndjson({"upsert": {}}, {}), headers=headers)
    assert_es_error(unknown, 400, "illegal_argument_exception")
    assert_es_error(
        await stack.client.post(f"{PREFIX}/_bulk", content=b"", headers=headers),
        400,
        "action_request_validation_exception",
    )
    bad_gzip = await stack.client.post(
        f"{PREFIX}/_bulk", content=b"not gzip", headers={**headers, "Content-Encoding": "gzip"}
    )
    assert_es_error(bad_gzip, 400, "parse_exception")
    big = ndjson(*[line for _ in range(40) for line in ({"index": {"_index": "i"}}, {"message": "x" * 100})])
    assert_es_error(
        await stack.client.post(f"{PREFIX}/_bulk", content=big, headers=headers), 413, "content_too_long_exception"
    )
    # gzip is read within the same caps.
    small = gzip.compress(ndjson({"index": {"_index": "i"}}, {"message": "zipped"}))
    zipped = await stack.client.post(f"{PREFIX}/_bulk", content=small, headers={**headers, "Content-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.json()["errors"] is False, zipped.text


async def test_rate_limited_bulk_is_429_in_elasticsearch_shape(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    await limit_requests(stack.client, tenant, 2)
    doc = ndjson({"index": {"_index": "i"}}, {"message": "m"})
    for _ in range(2):
        ok = await stack.client.post(f"{PREFIX}/_bulk", content=doc, headers=basic(tenant.api_key))
        assert ok.status_code == 200, ok.text
        assert ok.headers["x-ratelimit-limit"] == "2"
    refused = await stack.client.post(f"{PREFIX}/_bulk", content=doc, headers=basic(tenant.api_key))
    assert_es_error(refused, 429, "es_rejected_execution_exception")
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining"] == "0"
