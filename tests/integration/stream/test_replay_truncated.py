"""A resume that finds more stored than the replay may send says so (`replay_truncated`) before the
live events, over SSE and WebSocket alike; another tenant's resume sees nothing of it.

One API process of its own with LOGPLANE_API_STREAM_REPLAY_LIMIT=3, so a handful of events is "more".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from tests.integration.conftest import ApiProcess, _start
from tests.integration.stream.helpers import ingest, new_tenant

LIMIT = 3


@pytest.fixture(scope="module")
def api(postgres_url: str, redis_url: str) -> Iterator[ApiProcess]:
    process = _start(postgres_url, redis_url, LOGPLANE_API_STREAM_REPLAY_LIMIT=str(LIMIT))
    try:
        yield process
    finally:
        process.process.terminate()
        process.process.wait(timeout=20)


async def _sse(api: ApiProcess, key: str, since_id: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The first `count` (event type, data) pairs of an SSE stream resumed after `since_id`."""
    got: list[tuple[str, dict[str, Any]]] = []
    async with (
        httpx.AsyncClient(base_url=api.url, timeout=httpx.Timeout(10, read=20)) as client,
        client.stream(
            "GET", "/api/v1/logs/tail", params={"since_id": since_id}, headers={"Authorization": f"Bearer {key}"}
        ) as response,
    ):
        assert response.status_code == 200
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                got.append((kind, orjson.loads(line[6:])))
                if len(got) == count:
                    return got
    raise AssertionError(f"the stream ended after {got}")


async def test_a_replay_cut_at_its_limit_says_so_and_another_tenant_sees_nothing(api: ApiProcess) -> None:
    tenant, other = await new_tenant(api), await new_tenant(api)
    ids = await ingest(api, tenant["key"], [{"message": f"m{i}"} for i in range(LIMIT + 3)])
    (their_first, their_second) = await ingest(api, other["key"], [{"message": "theirs 1"}, {"message": "theirs 2"}])

    got = await _sse(api, tenant["key"], ids[0], LIMIT + 1)
    assert [kind for kind, _ in got] == ["log"] * LIMIT + ["replay_truncated"]
    assert [data["message"] for _, data in got[:LIMIT]] == ["m1", "m2", "m3"]
    assert got[-1][1] == {"type": "replay_truncated", "replayed": LIMIT, "last_id": ids[LIMIT]}

    async with connect(
        f"{api.ws}/api/v1/logs/stream?since_id={ids[0]}",
        additional_headers={"Authorization": f"Bearer {tenant['key']}"},
    ) as ws:
        frames = [orjson.loads(await ws.recv()) for _ in range(LIMIT + 1)]
    assert [f["type"] for f in frames] == ["log"] * LIMIT + ["replay_truncated"]

    # The other tenant's resume replays its own event only, and is not cut.
    (kind, data), *_ = await _sse(api, other["key"], their_first, 1)
    assert (kind, data["message"], data["id"]) == ("log", "theirs 2", their_second)
