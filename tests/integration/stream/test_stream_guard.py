"""Open streams are re-checked: revoked keys, expired tokens and suspended tenants are cut off
within the bound; streams per tenant are capped across processes; replays draw on the budget.

Two API processes of their own, with short settings so the bounds are quick to show:
re-check every 0.5 s, credential cache 0.5 s, at most 2 streams per tenant, 3 s slot leases.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from src.adapters.redis.stream_slots import slots_key
from tests.integration.conftest import ApiProcess, _start
from tests.integration.stream.helpers import ADMIN_HEADERS, ingest, new_tenant, wait_subscribed
from tests.polling import eventually

RECHECK, CACHE, MAX_STREAMS = 0.5, 0.5, 2
# The documented bound is RECHECK + CACHE; the margin is for a busy two-core machine.
BOUND = RECHECK + CACHE + 4.0


@pytest.fixture(scope="module")
def apis(postgres_url: str, redis_url: str) -> Iterator[tuple[ApiProcess, ApiProcess]]:
    env = {
        "LOGPLANE_API_STREAM_RECHECK_SECONDS": str(RECHECK),
        "LOGPLANE_CREDENTIAL_CACHE_SECONDS": str(CACHE),
        "LOGPLANE_API_STREAM_MAX_PER_TENANT": str(MAX_STREAMS),
        "LOGPLANE_API_STREAM_LEASE_SECONDS": "3",
    }
    first = _start(postgres_url, redis_url, **env)
    second = _start(postgres_url, redis_url, **env)
    try:
        yield first, second
    finally:
        for api in (first, second):
            api.process.terminate()
            api.process.wait(timeout=20)


def _bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def _closed(ws: ClientConnection, within: float) -> tuple[int, str, list[dict[str, Any]]]:
    """Read until the server closes: (close code, reason, log events received)."""
    logs: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(within):
            while True:
                message = orjson.loads(await ws.recv())
                if message["type"] == "log":
                    logs.append(message["data"])
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the client, not the server, closed"
        return closed.rcvd.code, closed.rcvd.reason, logs
    raise AssertionError("unreachable")


async def _sse_frames(response: httpx.Response, within: float) -> list[str]:
    """Every line of an SSE stream until the server ends it."""
    lines: list[str] = []
    async with asyncio.timeout(within):
        async for line in response.aiter_lines():
            lines.append(line)
    return lines


def _error_event(lines: list[str]) -> dict[str, Any]:
    at = lines.index("event: error")
    body: dict[str, Any] = orjson.loads(lines[at + 1].removeprefix("data: "))
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


async def _key(api: ApiProcess, admin_key: str, scopes: list[str]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.post("/api/v1/keys", json={"name": "k", "scopes": scopes}, headers=_bearer(admin_key))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


async def _revoke(api: ApiProcess, admin_key: str, key_id: str) -> None:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.delete(f"/api/v1/keys/{key_id}", headers=_bearer(admin_key))
        assert response.status_code == 204, response.text


async def _token(api: ApiProcess, api_key: str, **extra: Any) -> str:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.post("/api/v1/auth/token", json={"api_key": api_key, **extra})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


async def _slots_free(redis_url: str, tenant_id: str) -> None:
    client = Redis.from_url(redis_url)
    try:

        async def free() -> bool:
            return int(await client.zcard(slots_key(uuid.UUID(tenant_id)))) == 0

        await eventually(free, within=10, what="the tenant's stream slots are given back")
    finally:
        await client.aclose()


async def _set_tenant(api: ApiProcess, tenant_id: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=api.url) as client:
        response = await client.patch(f"/api/v1/tenants/{tenant_id}", json=body, headers=ADMIN_HEADERS)
        assert response.status_code == 200, response.text


async def test_revoking_a_key_mid_stream_closes_its_streams_within_the_bound(apis, redis_url) -> None:
    a, b = apis
    tenant, other = await new_tenant(a), await new_tenant(a)
    key = await _key(a, tenant["key"], ["read"])
    token = await _token(a, key["api_key"])
    async with (
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=_bearer(key["api_key"])) as by_key,
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=_bearer(token)) as by_token,
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=_bearer(other["key"])) as other_ws,
    ):
        await wait_subscribed(redis_url, tenant["id"])
        await wait_subscribed(redis_url, other["id"])
        (before,) = await ingest(b, tenant["key"], [{"message": "before revocation"}])
        # Revoked through the other process: this one learns it from PostgreSQL once its cache expires.
        await _revoke(b, tenant["key"], key["id"])
        revoked_at = time.monotonic()
        for ws in (by_key, by_token):
            code, reason, logs = await _closed(ws, within=BOUND + 2)
            assert code == 4401 and reason.startswith("revoked_api_key"), (code, reason)
            assert time.monotonic() - revoked_at < BOUND
            assert [e["id"] for e in logs] in ([before], [])
        # The other tenant's stream is still open, and its first event is its own.
        (own,) = await ingest(b, other["key"], [{"message": "still here"}])
        message = orjson.loads(await asyncio.wait_for(other_ws.recv(), 10))
        assert message["type"] == "log" and message["data"]["id"] == own


async def test_revoking_a_key_ends_an_sse_stream_with_an_error_event(apis, redis_url) -> None:
    a, b = apis
    tenant = await new_tenant(a)
    key = await _key(a, tenant["key"], ["read"])
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as client,
        client.stream("GET", "/api/v1/logs/tail", headers=_bearer(key["api_key"])) as response,
    ):
        assert response.status_code == 200
        await _revoke(b, tenant["key"], key["id"])
        revoked_at = time.monotonic()
        lines = await _sse_frames(response, within=BOUND + 2)
    assert time.monotonic() - revoked_at < BOUND
    error = _error_event(lines)
    assert error["code"] == "revoked_api_key" and error["details"] == {"status": 401}


async def test_a_token_stream_is_closed_at_the_tokens_expiry(apis) -> None:
    a, _ = apis
    tenant = await new_tenant(a)
    token = await _token(a, tenant["key"], ttl_seconds=2)
    issued_at = time.time()
    async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=_bearer(token)) as ws:
        code, reason, _ = await _closed(ws, within=2 + 5)
    assert code == 4401 and reason.startswith("token_expired"), (code, reason)
    # Not before exp (whole seconds: iat was rounded down), and soon after it.
    assert 1.0 <= time.time() - issued_at < 2 + 4


async def test_suspending_a_tenant_closes_its_streams_with_4403(apis, redis_url) -> None:
    a, b = apis
    tenant, other = await new_tenant(a), await new_tenant(a)
    async with (
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=_bearer(tenant["key"])) as ws,
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=_bearer(other["key"])) as other_ws,
        httpx.AsyncClient(base_url=a.url, timeout=30) as client,
        client.stream("GET", "/api/v1/logs/tail", headers=_bearer(tenant["key"])) as sse,
    ):
        await wait_subscribed(redis_url, other["id"])
        await _set_tenant(b, tenant["id"], {"status": "suspended"})
        suspended_at = time.monotonic()
        code, reason, _ = await _closed(ws, within=BOUND + 2)
        assert code == 4403 and reason.startswith("tenant_suspended"), (code, reason)
        assert _error_event(await _sse_frames(sse, within=BOUND + 2))["code"] == "tenant_suspended"
        assert time.monotonic() - suspended_at < BOUND + 1
        (own,) = await ingest(b, other["key"], [{"message": "unaffected"}])
        message = orjson.loads(await asyncio.wait_for(other_ws.recv(), 10))
        assert message["type"] == "log" and message["data"]["id"] == own
    await _set_tenant(b, tenant["id"], {"status": "active"})


async def test_streams_per_tenant_are_capped_across_processes(apis) -> None:
    a, b = apis
    tenant, other = await new_tenant(a), await new_tenant(a)
    headers, other_headers = _bearer(tenant["key"]), _bearer(other["key"])
    async with (
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=headers),
        connect(f"{b.ws}/api/v1/logs/stream", additional_headers=headers) as second,
    ):
        # The cap is counted across processes: a third stream is refused on either of them.
        async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=headers) as third:
            code, reason, _ = await _closed(third, within=10)
        assert code == 4429 and reason.startswith("too_many_streams"), (code, reason)
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as client:
            refused = await client.get("/api/v1/logs/tail", headers=headers)
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "too_many_streams"
            assert refused.headers["retry-after"]
        # The other tenant's streams are unaffected.
        async with (
            connect(f"{a.ws}/api/v1/logs/stream", additional_headers=other_headers) as o1,
            connect(f"{b.ws}/api/v1/logs/stream", additional_headers=other_headers) as o2,
        ):
            for ws in (o1, o2):
                await ws.send(orjson.dumps({"type": "ping"}).decode())
                assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
        # Closing a stream gives its slot back.
        await second.close()

        async def admitted() -> bool:
            async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=headers) as ws:
                try:  # refused while the slot is still held: the close may come before the send
                    await ws.send(orjson.dumps({"type": "ping"}).decode())
                    return bool(orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong")
                except ConnectionClosed:
                    return False

        await eventually(admitted, within=10, what="a closed stream's slot is given back")


async def test_since_id_replays_draw_on_the_tenants_rate_budget(apis, redis_url) -> None:
    a, _ = apis
    tenant, other = await new_tenant(a), await new_tenant(a)
    (first,) = await ingest(a, tenant["key"], [{"message": "one"}])
    (other_first,) = await ingest(a, other["key"], [{"message": "one"}])
    # 30 requests a minute; a replay costs 10 (one per page of 1000 it may read, 10 000 at most).
    await _set_tenant(a, tenant["id"], {"limits": {"requests_per_minute": 30}})
    headers = _bearer(tenant["key"])
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as client:
        # At most 3 replays fit in a window; straddling a window boundary, at most 6.
        for _ in range(8):
            async with client.stream("GET", "/api/v1/logs/tail", params={"since_id": first}, headers=headers) as r:
                statuses.append(r.status_code)
                if r.status_code == 429:
                    await r.aread()
                    body = r.json()
                    assert body["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
                    break
            # The server gives the slot back once it sees the client leave: wait for that, so the
            # next attempt meets the replay budget and not the stream cap.
            await _slots_free(redis_url, tenant["id"])
        assert statuses[-1] == 429 and 3 <= len(statuses) - 1 <= 6, statuses
        # A WebSocket replay is refused too, with 4429.
        async with connect(f"{a.ws}/api/v1/logs/stream?since_id={first}", additional_headers=headers) as ws:
            code, reason, _ = await _closed(ws, within=10)
        assert code == 4429 and reason.startswith("rate_limited"), (code, reason)
        # A live stream without replay costs no budget; another tenant's replay is unaffected.
        async with client.stream("GET", "/api/v1/logs/tail", headers=headers) as live:
            assert live.status_code == 200
        async with client.stream(
            "GET", "/api/v1/logs/tail", params={"since_id": other_first}, headers=_bearer(other["key"])
        ) as theirs:
            assert theirs.status_code == 200
