"""Loki's read API with the requests Grafana's Loki data source sends (Explore's log query, the log
volume histogram, the label browser, series, index stats), on the events of events.py."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration.querylang.conftest import World
from tests.integration.querylang.events import EVENTS

API = "/api/v1/compat/loki/loki/api/v1"


def _ns(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1e9))


def _basic(key: str) -> dict[str, str]:
    # Grafana's data source with Basic auth: any user, the API key as password.
    return {"Authorization": "Basic " + base64.b64encode(f"grafana:{key}".encode()).decode()}


async def _get(world: World, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
    return await world.stack.client.get(f"{API}{path}", params=params, headers=headers or world.a_headers)


def _window(world: World) -> dict[str, str]:
    return {"start": _ns(world.base - timedelta(hours=2)), "end": _ns(datetime.now(UTC))}


async def test_explore_log_query(world: World) -> None:
    response = await _get(
        world,
        "/query_range",
        query='{service="billing"}',
        limit="1000",
        direction="backward",
        step="5",
        **_window(world),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["data"]["resultType"] == "streams"
    lines = [(int(ts), line, s["stream"]) for s in body["data"]["result"] for ts, line in s["values"]]
    assert len(lines) == 5 and all(stream["service"] == "billing" for _, _, stream in lines)
    assert {"service": "billing", "host": "web-02", "level": "error"} in [s for _, _, s in lines]
    newest_first = [ts for ts, _, _ in sorted(lines, key=lambda x: -x[0])]
    assert newest_first[0] == int((world.base - timedelta(minutes=25)).timestamp() * 1e9)
    forward = await _get(
        world, "/query_range", query='{service="billing"}', limit="2", direction="forward", **_window(world)
    )
    first = [v for s in forward.json()["data"]["result"] for v in s["values"]]
    assert sorted(line for _, line in first) == ["Payment failed: card declined", "payment accepted for order 17"]


async def test_line_filters_and_label_matchers(world: World) -> None:
    q = '{service=~"bill.*|auth", level=~"err|warn"} |= "fail" != "card"'
    body = (await _get(world, "/query_range", query=q, **_window(world))).json()
    assert [line for s in body["data"]["result"] for _, line in s["values"]] == ["password reset failed for user alice"]
    q = '{host="web-02"} | json | status >= 500'
    body = (await _get(world, "/query_range", query=q, **_window(world))).json()
    assert [line for s in body["data"]["result"] for _, line in s["values"]] == ["GET /api/v1/orders 503"]
    q = '{service="gateway"} |~ "GET /(api|health)" | level="info"'
    body = (await _get(world, "/query_range", query=q, **_window(world))).json()
    assert sorted(line for s in body["data"]["result"] for _, line in s["values"]) == [
        "GET /api/v1/orders 200",
        "GET /health 200",
    ]


async def test_log_volume_histogram(world: World) -> None:
    # What Grafana sends for the log volume above Explore's logs (supportingQueryType=logsVolume).
    q = 'sum by (level, detected_level) (count_over_time({service="billing"} | drop __error__[1m]))'
    response = await _get(
        world,
        "/query_range",
        headers=_basic(world.a_headers["Authorization"][7:]),
        query=q,
        step="60",
        **_window(world),
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["resultType"] == "matrix"
    totals = {s["metric"]["level"]: sum(int(v) for _, v in s["values"]) for s in data["result"]}
    assert totals == {"info": 2, "error": 1, "fatal": 1, "warn": 1}
    assert all(s["metric"]["detected_level"] == s["metric"]["level"] for s in data["result"])
    assert all(float(t) % 60 == 0 for s in data["result"] for t, _ in s["values"])


async def test_instant_metric_queries(world: World) -> None:
    at = str(datetime.now(UTC).timestamp())
    summed = (await _get(world, "/query", query='sum(count_over_time({service="billing"}[2h]))', time=at)).json()
    assert summed["data"]["resultType"] == "vector"
    assert [(r["metric"], r["value"][1]) for r in summed["data"]["result"]] == [({}, "5")]
    per_stream = (await _get(world, "/query", query='count_over_time({service="billing"}[2h])', time=at)).json()
    values = {tuple(sorted(r["metric"].items())): r["value"][1] for r in per_stream["data"]["result"]}
    assert values[(("host", "web-01"), ("level", "info"), ("service", "billing"))] == "2" and len(values) == 4
    rate = (await _get(world, "/query", query='sum(rate({service="billing"}[2h]))', time=at)).json()
    assert float(rate["data"]["result"][0]["value"][1]) == 5 / 7200
    size = (await _get(world, "/query", query='sum(bytes_over_time({service="billing"}[2h]))', time=at)).json()
    expected = sum(len(e[8].encode()) for e in EVENTS if e[3] == "billing")
    assert size["data"]["result"][0]["value"][1] == str(expected)


async def test_label_browser_series_and_stats(world: World) -> None:
    window = _window(world)
    assert (await _get(world, "/labels", **window)).json() == {
        "status": "success",
        "data": ["host", "level", "service"],
    }
    services = (await _get(world, "/label/service/values", **window)).json()["data"]
    assert services == ["auth", "billing", "gateway", "search", "worker"]
    levels = (await _get(world, "/label/level/values", query='{service="billing"}', **window)).json()["data"]
    assert levels == ["error", "fatal", "info", "warn"]
    series = (await _get(world, "/series", **{"match[]": '{service="gateway"}'}, **window)).json()["data"]
    assert sorted((s["host"], s["level"]) for s in series) == [
        ("web-01", "info"),
        ("web-02", "info"),
        ("web-02", "warn"),
    ]
    stats = (await _get(world, "/index/stats", query='{service="billing"}', **window)).json()
    billing = [e[8] for e in EVENTS if e[3] == "billing"]
    assert stats["entries"] == 5 and stats["bytes"] == sum(len(m.encode()) for m in billing) and stats["streams"] == 4


async def test_unsupported_constructs_get_lokis_400(world: World) -> None:
    for q, construct in (
        ('{service="a"} | line_format "{{.x}}"', "line_format"),
        ('topk(3, count_over_time({service="a"}[1m]))', "topk"),
        ('{service="a"} | json foo="bar"', "json with parameters"),
        ('sum without (host) (count_over_time({service="a"}[1m]))', "without"),
    ):
        response = await _get(world, "/query_range", query=q, **_window(world))
        assert response.status_code == 400 and construct in response.text, (q, response.text)
        assert response.headers["content-type"].startswith("text/plain")
    syntax = await _get(world, "/query_range", query='{service="a"', **_window(world))
    assert syntax.status_code == 400 and syntax.text.startswith("parse error at line 1, col 13")
    empty = await _get(world, "/query_range", query='{service=""}', **_window(world))
    assert empty.status_code == 400 and "at least one" in empty.text


async def test_credentials_and_tenants(world: World) -> None:
    assert (await world.stack.client.get(f"{API}/labels")).status_code == 401
    b = {"Authorization": f"Bearer {world.b_key}"}
    at = str(datetime.now(UTC).timestamp())
    mine = (
        await _get(world, "/query", headers=b, query='sum(count_over_time({service="billing"}[2h]))', time=at)
    ).json()
    assert mine["data"]["result"][0]["value"][1] == "2"
    lines = (await _get(world, "/query_range", headers=b, query='{service=~".+"}', **_window(world))).json()
    assert sorted(line for s in lines["data"]["result"] for _, line in s["values"]) == sorted(
        e[8] for e in EVENTS if e[0] in ("01", "02", "06")
    )
    assert (await _get(world, "/label/service/values", headers=b, **_window(world))).json()["data"] == [
        "billing",
        "search",
    ]


async def test_patterns(world: World) -> None:
    response = await _get(world, "/patterns", query='{service="gateway"}', step="3600", **_window(world))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert sum(n for p in data for _, n in p["samples"]) == 3
    assert data[0]["samples"] and all(t % 3600 == 0 for p in data for t, _ in p["samples"])
    stranger = await _get(
        world,
        "/patterns",
        headers={"Authorization": f"Bearer {world.b_key}"},
        query='{service="gateway"}',
        **_window(world),
    )
    assert stranger.json()["data"] == []
