"""A session cookie opens a live stream only from a page of this origin (cross-site WebSocket
hijacking): another site's Origin is refused with 4403 before anything is streamed."""

from __future__ import annotations

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.conftest import ApiProcess
from tests.integration.stream.helpers import ingest, new_tenant, wait_subscribed
from tests.integration.stream.test_stream_session import _session


async def test_a_session_cookie_from_another_origin_is_refused(
    two_apis: tuple[ApiProcess, ApiProcess], redis_url: str
) -> None:
    a, _ = two_apis
    tenant = await new_tenant(a)
    secret, _csrf = await _session(a, tenant["id"], "viewer")
    cookie = {"Cookie": f"logplane_session={secret}"}
    async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=cookie, origin="https://evil.example") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert closed.value.rcvd.reason.startswith("cross_origin")
    # The console's own origin is accepted.
    async with connect(f"{a.ws}/api/v1/logs/stream", additional_headers=cookie, origin=a.url) as ws:
        await wait_subscribed(redis_url, tenant["id"])
        (event_id,) = await ingest(a, tenant["key"], [{"message": "same origin"}])
        while (message := orjson.loads(await ws.recv()))["type"] != "log":
            pass
        assert message["data"]["id"] == event_id
