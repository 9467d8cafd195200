"""Loki push: a hand-encoded snappy protobuf request (per Loki's push.proto) and a JSON push
against a real API process, read back through the search API."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta

import cramjam
import httpx
import orjson

from tests.conftest import create_tenant
from tests.integration.compat.conftest import limit_requests, search, total
from tests.integration.conftest import ApiProcess, Stack, running_worker

PATH = "/api/v1/compat/loki/api/v1/push"
PROTOBUF = {"Content-Type": "application/x-protobuf"}


# Protobuf's wire format, written out by hand so the test does not share the server's decoder.
def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | 0x80 if value else low)
        if not value:
            return bytes(out)


def length_delimited(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def integer(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def entry(at: datetime, line: str, metadata: dict[str, str] | None = None) -> bytes:
    seconds = int(at.timestamp())
    timestamp = integer(1, seconds) + integer(2, at.microsecond * 1000)
    pairs = b"".join(
        length_delimited(3, length_delimited(1, k.encode()) + length_delimited(2, v.encode()))
        for k, v in (metadata or {}).items()
    )
    return length_delimited(1, timestamp) + length_delimited(2, line.encode()) + pairs


def push_request(*streams: tuple[str, list[bytes]]) -> bytes:
    """PushRequest{streams=1: StreamAdapter{labels=1, entries=2}}, snappy-compressed (raw block format)."""
    encoded = b"".join(
        length_delimited(1, length_delimited(1, labels.encode()) + b"".join(length_delimited(2, e) for e in entries))
        for labels, entries in streams
    )
    return bytes(cramjam.snappy.compress_raw(encoded))


def basic(api_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"promtail:{api_key}".encode()).decode()}


def ns(at: datetime) -> str:
    return str(int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000)


async def test_protobuf_and_json_pushes_become_searchable(stack: Stack, compat_api: ApiProcess) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    at = datetime.now(UTC).replace(microsecond=250_000) - timedelta(minutes=3)
    body = push_request(
        ('{job="promtail", host="web-1", level="warn", env="prod"}', [entry(at, "disk almost full")]),
        (
            '{service_name="billing", instance="10.0.0.2:80"}',
            [entry(at + timedelta(seconds=1), "charged", {"trace_id": "abc123", "detected_level": "debug"})],
        ),
    )
    json_push = {
        "streams": [
            {
                "stream": {"app": "web", "hostname": "web-2", "severity": "error"},
                "values": [[ns(at + timedelta(seconds=2)), "upstream timeout", {"user": "u-7"}]],
            }
        ]
    }
    async with httpx.AsyncClient(base_url=compat_api.url, timeout=15) as client:
        pushed = await client.post(PATH, content=body, headers=basic(tenant.api_key) | PROTOBUF)
        assert pushed.status_code == 204, pushed.text
        zipped = await client.post(
            PATH,
            content=gzip.compress(orjson.dumps(json_push)),
            headers=tenant.headers | {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert zipped.status_code == 204, zipped.text

    async with running_worker(stack.settings):
        first, second, third = await search(stack, tenant, 3)
    assert (first["message"], first["service"], first["host"], first["severity"]) == (
        "disk almost full",
        "promtail",
        "web-1",
        "WARN",
    )
    assert datetime.fromisoformat(first["timestamp"]) == at
    assert first["attributes"] == {"labels": {"job": "promtail", "host": "web-1", "level": "warn", "env": "prod"}}
    assert (second["service"], second["host"], second["severity"], second["trace_id"]) == (
        "billing",
        "10.0.0.2:80",
        "DEBUG",
        "abc123",
    )
    assert second["attributes"]["structured_metadata"] == {"trace_id": "abc123", "detected_level": "debug"}
    assert (third["service"], third["host"], third["severity"]) == ("web", "web-2", "ERROR")
    assert third["attributes"] == {
        "labels": {"app": "web", "hostname": "web-2", "severity": "error"},
        "structured_metadata": {"user": "u-7"},
    }
    assert await total(stack, other) == 0


async def test_partial_push_is_400_text_and_keeps_the_valid_entries(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    at = datetime.now(UTC) - timedelta(minutes=1)
    future = datetime.now(UTC) + timedelta(days=1)
    body = push_request(('{job="partial"}', [entry(at, "kept"), entry(future, "too new"), entry(at, "")]))
    response = await stack.client.post(PATH, content=body, headers=tenant.headers | PROTOBUF)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "entry for stream '{job=\"partial\"}' rejected: timestamp is more than" in response.text
    assert "2 of 3 entries rejected" in response.text
    async with running_worker(stack.settings):
        (kept,) = await search(stack, tenant, 1)
    assert kept["message"] == "kept" and kept["service"] == "partial"


async def test_malformed_pushes_are_400_text(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    headers = basic(tenant.api_key)
    cases = [
        (b"\x10not snappy at all", PROTOBUF, "snappy"),
        (bytes(cramjam.snappy.compress_raw(b"\xff\xff\xff")), PROTOBUF, "PushRequest"),
        (b"{not json", {"Content-Type": "application/json"}, "JSON"),
        (
            orjson.dumps({"streams": [{"stream": {"job": "x"}, "values": "nope"}]}),
            {"Content-Type": "application/json"},
            "values",
        ),
    ]
    for body, content_type, words in cases:
        response = await stack.client.post(PATH, content=body, headers=headers | content_type)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("text/plain")
        assert words in response.text
    unsupported = await stack.client.post(PATH, content=b"x", headers=headers | {"Content-Type": "text/plain"})
    assert unsupported.status_code == 415 and "application/x-protobuf" in unsupported.text
    anonymous = await stack.client.post(PATH, content=push_request(), headers=PROTOBUF)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith("text/plain")
    empty = await stack.client.post(PATH, content=push_request(), headers=headers | PROTOBUF)
    assert empty.status_code == 204


async def test_rate_limited_push_is_429_with_retry_after(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    await limit_requests(stack.client, tenant, 1)
    body = push_request(('{job="x"}', [entry(datetime.now(UTC), "one")]))
    assert (await stack.client.post(PATH, content=body, headers=basic(tenant.api_key) | PROTOBUF)).status_code == 204
    refused = await stack.client.post(PATH, content=body, headers=basic(tenant.api_key) | PROTOBUF)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/plain") and "rate limit" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 60
