"""Loki's tail WebSocket as Grafana's live mode opens it: backlog first, then matching new lines
of the credential's tenant only, in Loki's frame shape."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.stream.helpers import ingest, new_tenant, wait_subscribed

PATH = "/api/v1/compat/loki/loki/api/v1/tail"


async def _lines(ws: Any, count: int, within: float = 10) -> list[tuple[dict[str, str], str]]:
    got: list[tuple[dict[str, str], str]] = []
    async with asyncio.timeout(within):
        while len(got) < count:
            frame = orjson.loads(await ws.recv())
            assert set(frame) == {"streams", "dropped_entries"}
            got += [(s["stream"], line) for s in frame["streams"] for _, line in s["values"]]
    return got


async def test_tail_sends_backlog_then_live_lines_of_its_tenant_only(two_apis, redis_url) -> None:
    a, _ = two_apis
    tenant, other = await new_tenant(a), await new_tenant(a)  # `other` writes a matching line: never seen
    before = datetime.now(UTC) - timedelta(minutes=5)
    await ingest(
        a, tenant["key"], [{"message": "payment failed early", "service": "billing", "timestamp": before.isoformat()}]
    )
    basic = base64.b64encode(f"grafana:{tenant['key']}".encode()).decode()
    query = urlencode(
        {
            "query": '{service="billing"} |= "fail"',
            "start": str(int((before - timedelta(minutes=1)).timestamp() * 1e9)),
            "limit": "10",
        }
    )
    async with connect(f"{a.ws}{PATH}?{query}", additional_headers={"Authorization": f"Basic {basic}"}) as ws:
        assert await _lines(ws, 1) == [({"service": "billing", "level": "info"}, "payment failed early")]
        await wait_subscribed(redis_url, tenant["id"])
        await ingest(a, other["key"], [{"message": "payment failed elsewhere", "service": "billing"}])
        await ingest(a, tenant["key"], [
            {"message": "payment ok", "service": "billing"},
            {"message": "login failed", "service": "auth"},
            {"message": "payment failed live", "service": "billing", "severity": "error", "host": "web-1"},
        ])  # fmt: skip
        assert await _lines(ws, 1) == [
            ({"service": "billing", "host": "web-1", "level": "error"}, "payment failed live")
        ]


async def test_tail_refuses_bad_credentials_and_metric_queries(two_apis) -> None:
    a, _ = two_apis
    tenant = await new_tenant(a)
    for headers, query in (
        ({}, '{service="x"}'),
        ({"Authorization": f"Bearer {tenant['key']}"}, 'sum(count_over_time({service="x"}[1m]))'),
    ):
        async with connect(f"{a.ws}{PATH}?{urlencode({'query': query})}", additional_headers=headers) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code in (4400, 4401)
