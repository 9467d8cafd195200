"""WebSocket and SSE live stream across two API processes fanned out through Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.conftest import ApiProcess
from tests.integration.stream.helpers import wait_subscribed
from tests.integration.stream.raw_ws import SlowClient

ADMIN_HEADERS = {"Authorization": "Bearer " + __import__("tests.conftest", fromlist=["ADMIN_TOKEN"]).ADMIN_TOKEN}


async def _tenant(api: ApiProcess) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=api.url) as client:
        created = await client.post(
            "/api/v1/tenants", json={"name": f"s-{__import__('uuid').uuid4().hex[:10]}"}, headers=ADMIN_HEADERS
        )
        body = created.json()
        return {"id": body["tenant_id"], "key": body["api_key"]}


async def _ingest(api: ApiProcess, key: str, events: list[dict[str, Any]]) -> list[str]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        response = await client.post("/api/v1/logs/bulk", json=events, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        return [i["id"] for i in response.json()["items"]]


async def _collect(ws: Any, count: int, within: float = 10) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while len(got) < count:
            message = orjson.loads(await ws.recv())
            if message["type"] == "log":
                got.append(message["data"])
    return got


async def _next_is(ws: Any, api: ApiProcess, key: str, marker: dict[str, Any]) -> None:
    """Nothing else is pending for `ws`: an event published now is the next one it receives
    (one channel per tenant delivers in publish order), so no fixed quiet window is needed."""
    (marker_id,) = await _ingest(api, key, [marker])
    assert [e["id"] for e in await _collect(ws, 1)] == [marker_id]


async def test_events_ingested_through_one_process_reach_clients_of_the_other(two_apis, redis_url) -> None:
    a, b = two_apis
    tenant = await _tenant(a)
    other = await _tenant(a)
    headers = {"Authorization": f"Bearer {tenant['key']}"}
    async with (
        connect(f"{a.ws}/api/v1/logs/stream", additional_headers=headers) as all_ws,
        connect(f"{a.ws}/api/v1/logs/stream?min_severity=error&service=pay", additional_headers=headers) as errors_ws,
        connect(
            f"{a.ws}/api/v1/logs/stream", additional_headers={"Authorization": f"Bearer {other['key']}"}
        ) as other_ws,
    ):
        await wait_subscribed(redis_url, tenant["id"])
        await wait_subscribed(redis_url, other["id"])
        ids = await _ingest(
            b,
            tenant["key"],
            [
                {"message": "fine", "service": "pay"},
                {"message": "card declined", "severity": "error", "service": "pay"},
                {"message": "boom", "severity": "fatal", "service": "web"},
            ],
        )
        received = await _collect(all_ws, 3)
        assert [e["id"] for e in received] == ids
        (only,) = await _collect(errors_ws, 1)
        assert only["message"] == "card declined"
        await _next_is(errors_ws, b, tenant["key"], {"message": "marker", "severity": "error", "service": "pay"})
        # The other tenant sees nothing: the first event it receives is its own, published later.
        (marker,) = await _ingest(b, other["key"], [{"message": "other tenant's own"}])
        assert [e["id"] for e in await _collect(other_ws, 1)] == [marker]


async def test_filters_change_over_the_socket(two_apis, redis_url) -> None:
    a, b = two_apis
    tenant = await _tenant(a)
    async with connect(
        f"{a.ws}/api/v1/logs/stream?q=alpha", subprotocols=[f"bearer.{tenant['key']}", "logplane.v1"]
    ) as ws:
        assert ws.subprotocol == "logplane.v1"
        await wait_subscribed(redis_url, tenant["id"])
        await _ingest(b, tenant["key"], [{"message": "alpha one"}, {"message": "beta one"}])
        assert [e["message"] for e in await _collect(ws, 1)] == ["alpha one"]
        await ws.send(orjson.dumps({"type": "filter", "q": "beta -two"}).decode())
        assert orjson.loads(await ws.recv())["type"] == "filter_ok"
        await _ingest(b, tenant["key"], [{"message": "alpha two"}, {"message": "beta two"}, {"message": "beta three"}])
        assert [e["message"] for e in await _collect(ws, 1)] == ["beta three"]


async def test_a_slow_client_is_told_what_it_lost_while_a_fast_one_gets_everything(two_apis, redis_url) -> None:
    a, b = two_apis
    tenant = await _tenant(a)
    headers = {"Authorization": f"Bearer {tenant['key']}"}
    total = 6000
    slow = SlowClient(a.url, "/api/v1/logs/stream", headers)
    try:
        async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=headers) as fast:
            await wait_subscribed(redis_url, tenant["id"])
            fast_got: list[dict[str, Any]] = []
            progressed = asyncio.Event()

            async def read_fast() -> None:
                while len(fast_got) < total:
                    message = orjson.loads(await fast.recv())
                    if message["type"] == "log":
                        fast_got.append(message["data"])
                        progressed.set()

            reader = asyncio.create_task(read_fast())
            for start in range(0, total, 200):
                await _ingest(b, tenant["key"], [{"message": f"{i} " + "x" * 4000} for i in range(start, start + 200)])
                # Pace by the fast client only (a busy machine must not make it "slow" too);
                # the slow client, which reads nothing, still falls thousands of events behind.
                async with asyncio.timeout(30):
                    while len(fast_got) < start + 200 and not reader.done():
                        progressed.clear()
                        await progressed.wait()
            await asyncio.wait_for(reader, timeout=30)
        # The slow client now reads what it was sent: some events, and notices of what was dropped.
        messages = await asyncio.to_thread(slow.messages, 3.0)
    finally:
        slow.close()
    logs = sum(1 for m in messages if m["type"] == "log")
    dropped = sum(m["count"] for m in messages if m["type"] == "dropped")
    assert dropped > 0 and logs > 0
    assert logs + dropped == total


async def test_resume_with_since_id_has_no_gap_and_no_duplicate(two_apis, redis_url) -> None:
    a, b = two_apis
    tenant = await _tenant(a)
    headers = {"Authorization": f"Bearer {tenant['key']}"}
    async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=headers) as ws:
        await wait_subscribed(redis_url, tenant["id"])
        first = await _ingest(b, tenant["key"], [{"message": f"before {i}"} for i in range(5)])
        seen = [e["id"] for e in await _collect(ws, 5)]
    assert seen == first
    missed = await _ingest(b, tenant["key"], [{"message": f"while away {i}"} for i in range(7)])
    async with connect(f"{a.ws}/api/v1/logs/stream?since_id={seen[-1]}", additional_headers=headers) as ws:
        live_task = asyncio.create_task(_ingest(b, tenant["key"], [{"message": f"after {i}"} for i in range(4)]))
        got = [e["id"] for e in await _collect(ws, 11)]
        after = await live_task
        await _next_is(ws, b, tenant["key"], {"message": "marker"})
    assert got[:7] == missed
    assert sorted(got[7:]) == sorted(after)
    assert len(set(got)) == 11


@pytest.mark.parametrize(
    ("make_headers", "code"),
    [
        (lambda key, ingest_key: {}, 4401),
        (lambda key, ingest_key: {"Authorization": "Bearer lp_not_a_key"}, 4401),
        (lambda key, ingest_key: {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"}, 4401),
        (lambda key, ingest_key: {"Authorization": f"Bearer {ingest_key}"}, 4403),
    ],
)
async def test_bad_credentials_get_close_codes(two_apis, make_headers, code) -> None:
    a, _ = two_apis
    tenant = await _tenant(a)
    async with httpx.AsyncClient(base_url=a.url) as client:
        ingest_key = (
            await client.post(
                "/api/v1/keys",
                json={"name": "i", "scopes": ["ingest"]},
                headers={"Authorization": f"Bearer {tenant['key']}"},
            )
        ).json()["api_key"]
    async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=make_headers(tenant["key"], ingest_key)) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


async def test_token_query_parameter_and_server_sent_events(two_apis, redis_url) -> None:
    a, b = two_apis
    tenant = await _tenant(a)
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as client:
        token = (await client.post("/api/v1/auth/token", json={"api_key": tenant["key"], "scopes": ["read"]})).json()[
            "access_token"
        ]
        async with client.stream("GET", "/api/v1/logs/tail", params={"token": token, "severity": "warn"}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            await wait_subscribed(redis_url, tenant["id"])
            ids = await _ingest(b, tenant["key"], [{"message": "quiet"}, {"message": "careful", "severity": "warning"}])
            frames: list[str] = []
            async with asyncio.timeout(10):
                async for line in response.aiter_lines():
                    frames.append(line)
                    if line.startswith("data:") and "careful" in line:
                        break
    assert f"id: {ids[1]}" in frames
    assert not any("quiet" in f for f in frames)


async def test_batch_mode_sends_bursts_as_one_frame(two_apis, redis_url) -> None:
    a, b = two_apis
    tenant = await _tenant(a)
    async with connect(
        f"{a.ws}/api/v1/logs/stream?batch=true", additional_headers={"Authorization": f"Bearer {tenant['key']}"}
    ) as ws:
        await wait_subscribed(redis_url, tenant["id"])
        ids = await _ingest(b, tenant["key"], [{"message": f"burst {i}"} for i in range(50)])
        got: list[str] = []
        frames = 0
        async with asyncio.timeout(10):
            while len(got) < 50:
                message = orjson.loads(await ws.recv())
                if message["type"] == "logs":
                    frames += 1
                    got += [e["id"] for e in message["data"]]
    assert got == ids
    assert frames < 50  # the burst travelled in fewer frames than events
