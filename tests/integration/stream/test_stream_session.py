"""The live stream opened with a user's session cookie (the web console), and ended by logout."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.conftest import ApiProcess
from tests.integration.stream.helpers import ADMIN_HEADERS, ingest, new_tenant, wait_subscribed

PASSWORD = "stream session passphrase"


async def _session(api: ApiProcess, tenant_id: str, role: str) -> tuple[str, str]:
    """(session secret, CSRF token) of a new user of the tenant."""
    email = f"{role}-{uuid.uuid4().hex[:6]}@example.com"
    async with httpx.AsyncClient(base_url=api.url) as client:
        created = await client.post(
            f"/api/v1/tenants/{tenant_id}/users",
            json={"email": email, "role": role, "password": PASSWORD},
            headers=ADMIN_HEADERS,
        )
        assert created.status_code == 201, created.text
        response = await client.post(
            "/api/v1/auth/login", json={"tenant": tenant_id, "email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        # A production server marks the cookie Secure; over this test's plain http it is sent by hand.
        return response.cookies["logplane_session"], response.json()["csrf_token"]


async def test_sse_and_websocket_with_the_session_cookie(
    two_apis: tuple[ApiProcess, ApiProcess], redis_url: str
) -> None:
    a, b = two_apis
    tenant = await new_tenant(a)
    secret, csrf = await _session(a, tenant["id"], "viewer")
    cookie = {"Cookie": f"logplane_session={secret}"}
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as client,
        client.stream("GET", "/api/v1/logs/tail", headers=cookie) as response,
    ):
        assert response.status_code == 200
        await wait_subscribed(redis_url, tenant["id"])
        (event_id,) = await ingest(b, tenant["key"], [{"message": "seen by a session"}])
        async with asyncio.timeout(10):
            async for line in response.aiter_lines():
                if line.startswith("id:"):
                    assert line == f"id: {event_id}"
                    break
    async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=cookie) as ws:
        await wait_subscribed(redis_url, tenant["id"])
        (event_id,) = await ingest(b, tenant["key"], [{"message": "over the websocket"}])
        async with asyncio.timeout(10):
            while (message := orjson.loads(await ws.recv()))["type"] != "log":
                pass
        assert message["data"]["id"] == event_id
        # Logging out ends the open stream (the guard re-checks the session).
        async with httpx.AsyncClient(base_url=a.url) as client:
            out = await client.post("/api/v1/auth/logout", headers={**cookie, "X-CSRF-Token": csrf})
            assert out.status_code == 204
        closed = None
        try:
            async with asyncio.timeout(30):
                while True:
                    await ws.recv()
        except ConnectionClosed as e:
            closed = e
        assert closed is not None and closed.rcvd is not None and closed.rcvd.code == 4401
