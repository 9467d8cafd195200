"""Small compressed bodies of a million tiny events, on every ingest route that splits a body into
events: refused (413) at the event limit, quickly, in bounded memory, without stalling others.

Memory is measured with tracemalloc (peak of Python allocations while the request runs): the app
runs in this process, where RSS also holds the test's own services and allocator slack, and
tracemalloc sees exactly the bytes the request made Python allocate (orjson, zlib buffers and
protobuf strings included). Timing is measured in a separate run without tracemalloc, whose
bookkeeping would slow the very code being timed.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import cramjam
import httpx
import psutil
import pytest

from tests.conftest import TenantHandle, create_tenant
from tests.integration.api.conftest import plain_url
from tests.integration.conftest import ApiProcess, _start

LINES = 1_000_000
MAX_GROWTH = 64 * 1024 * 1024
MAX_SECONDS = 1.0
MAX_P90 = 0.100
SAMPLES = 100


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _loki_push(entries: int) -> bytes:
    """PushRequest{streams: [StreamAdapter{labels, entries: [EntryAdapter{}] * n}]}, snappy."""
    labels = b'{job="bomb"}'
    stream = b"\x0a" + _varint(len(labels)) + labels + b"\x12\x00" * entries
    return bytes(cramjam.snappy.compress_raw(b"\x0a" + _varint(len(stream)) + stream))


def _otlp_export(records: int) -> bytes:
    """ExportLogsServiceRequest{resource_logs: [{scope_logs: [{log_records: [LogRecord{}] * n}]}]}."""
    scope = b"\x12\x00" * records
    resource = b"\x12" + _varint(len(scope)) + scope
    return b"\x0a" + _varint(len(resource)) + resource


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    content_type: str
    body: bytes
    gzip: bool = True

    def headers(self, tenant: TenantHandle) -> dict[str, str]:
        extra = {"Content-Encoding": "gzip"} if self.gzip else {}
        return {**tenant.headers, "Content-Type": self.content_type, **extra}


ROUTES = [
    Route("raw", "/api/v1/logs/raw", "text/plain", gzip.compress(b"a\n" * LINES, 9)),
    Route("ndjson", "/api/v1/logs/bulk", "application/x-ndjson", gzip.compress(b"{}\n" * LINES, 9)),
    Route(
        "es_bulk",
        "/api/v1/compat/elasticsearch/logs/_bulk",
        "application/x-ndjson",
        gzip.compress(b'{"index":{}}\n{"message":"x"}\n' * LINES, 9),
    ),
    Route("loki", "/api/v1/compat/loki/api/v1/push", "application/x-protobuf", _loki_push(LINES), gzip=False),
    Route("otlp", "/api/v1/compat/otlp/v1/logs", "application/x-protobuf", gzip.compress(_otlp_export(LINES), 9)),
]


def _assert_refused(route: Route, response: httpx.Response) -> None:
    assert response.status_code == 413, response.text[:500]
    if route.name == "loki":  # Loki answers errors as text, as Loki does
        assert "at most 10000 events" in response.text
    elif route.name == "otlp":  # a google.rpc.Status, in the request's encoding
        assert b"at most 10000 events" in response.content
    elif route.name == "es_bulk":
        assert response.json()["error"]["caused_by"]["type"] == "batch_too_large"
    else:
        error = response.json()["error"]
        assert error["code"] == "batch_too_large"
        assert error["details"] == {"max_events": 10_000, "events": 10_001}


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
async def test_a_compressed_million_events_is_refused_in_bounded_memory(
    app_client: httpx.AsyncClient, tenant: TenantHandle, route: Route
) -> None:
    assert len(route.body) < 100_000  # small on the wire: only the event limit can stop it
    await app_client.post(route.path, content=route.body, headers=route.headers(tenant))  # warm-up
    tracemalloc.start()
    try:
        response = await app_client.post(route.path, content=route.body, headers=route.headers(tenant))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _assert_refused(route, response)
    assert peak < MAX_GROWTH, f"{route.name}: {peak / 2**20:.1f} MiB at peak"


@pytest.fixture(scope="module", autouse=True)
async def _no_index_backlog(postgres_url: str) -> AsyncIterator[None]:
    """These tests store a thousand single events, each announcing an index task that no worker
    here takes: drop those tasks afterwards, or the next test's index worker inherits the backlog."""
    conn = await asyncpg.connect(plain_url(postgres_url))
    try:
        started = await conn.fetchval("SELECT now()")
        yield
        await conn.execute(
            "DELETE FROM async_task WHERE task_type = 'reindex' AND status = 'pending' AND created_at >= $1", started
        )
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def api(postgres_url: str, redis_url: str) -> AsyncIterator[ApiProcess]:
    """A real API process: the bombs' cost lands in it alone (not in the test's client code),
    and its RSS is the memory an operator would see grow."""
    process = await asyncio.to_thread(_start, postgres_url, redis_url)
    try:
        yield process
    finally:
        process.process.terminate()
        await asyncio.to_thread(process.process.wait, 20)


class PeakRss:
    """The highest RSS of a process, sampled every millisecond in a thread while the block runs."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.baseline = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def _steady_posts(
    client: httpx.AsyncClient, tenant: TenantHandle, stop: asyncio.Event, latencies: list[float]
) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.post("/api/v1/logs", json={"message": "steady"}, headers=tenant.headers)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text


async def _alone(client: httpx.AsyncClient, tenant: TenantHandle) -> list[float]:
    latencies: list[float] = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        response = await client.post("/api/v1/logs", json={"message": "alone"}, headers=tenant.headers)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text
    return latencies


def _percentile(latencies: list[float], q: float) -> float:
    return sorted(latencies)[min(len(latencies) - 1, int(len(latencies) * q))]


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
async def test_a_compressed_million_events_is_refused_fast_without_stalling_another_tenant(
    api: ApiProcess, route: Route
) -> None:
    async with (
        httpx.AsyncClient(base_url=api.url, timeout=30) as attacker,
        httpx.AsyncClient(base_url=api.url, timeout=30) as bystander,
    ):
        tenant, other = await create_tenant(attacker), await create_tenant(bystander)
        await attacker.post(route.path, content=route.body, headers=route.headers(tenant))  # warm-up
        alone = await _alone(bystander, other)  # this run's own pace: the machine may be busy

        stop = asyncio.Event()
        latencies: list[float] = []
        refused: list[float] = []
        steady = asyncio.create_task(_steady_posts(bystander, other, stop, latencies))
        try:
            with PeakRss(api.process.pid) as rss:
                # Bombs back to back until the other tenant has made enough requests to judge by.
                for _ in range(1000):
                    started = time.perf_counter()
                    response = await attacker.post(route.path, content=route.body, headers=route.headers(tenant))
                    refused.append(time.perf_counter() - started)
                    _assert_refused(route, response)
                    if len(latencies) >= SAMPLES:
                        break
        finally:
            stop.set()
            await steady
    assert len(latencies) >= SAMPLES, len(latencies)
    # Each bomb takes milliseconds; p99 rather than max, as a loaded machine may pause the process.
    assert _percentile(refused, 0.99) < MAX_SECONDS, f"{route.name}: p99 of refusals {_percentile(refused, 0.99):.2f} s"
    assert rss.growth < MAX_GROWTH, f"{route.name}: the API grew by {rss.growth / 2**20:.0f} MiB"
    p90, baseline = _percentile(latencies, 0.90), _percentile(alone, 0.90)
    # 100 ms, plus an allowance that grows with how slow this machine is right now (its alone
    # figure is a few ms when it is quiet). A stall like the one fixed here is seconds and hits
    # most requests made during a bomb, so the 90th percentile shows it; the 99th of 100 samples
    # is the maximum, which one scheduler pause on a loaded machine decides.
    assert p90 < MAX_P90 + 4 * baseline, (
        f"{route.name}: other tenant's p90 {p90 * 1000:.0f} ms under bombs, {baseline * 1000:.0f} ms alone"
    )


HUGE = 40 * 1024 * 1024  # one line, within the decompressed cap
LONG_LINES = [
    Route("raw", "/api/v1/logs/raw", "text/plain", gzip.compress(b"ok\n" + b"a" * HUGE, 9)),
    Route(
        "ndjson",
        "/api/v1/logs/bulk",
        "application/x-ndjson",
        gzip.compress(b'{"message":"ok"}\n{"message":"' + b"a" * HUGE + b'"}\n', 9),
    ),
    Route(
        "es_bulk",
        "/api/v1/compat/elasticsearch/logs/_bulk",
        "application/x-ndjson",
        gzip.compress(b'{"index":{}}\n{"message":"ok"}\n{"index":{}}\n{"message":"' + b"a" * HUGE + b'"}\n', 9),
    ),
]


@pytest.mark.parametrize("route", LONG_LINES, ids=[r.name for r in LONG_LINES])
async def test_a_single_huge_line_is_refused_on_its_own_in_bounded_memory(
    app_client: httpx.AsyncClient, tenant: TenantHandle, route: Route
) -> None:
    tracemalloc.start()
    try:
        response = await app_client.post(route.path, content=route.body, headers=route.headers(tenant))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if route.name == "es_bulk":
        assert response.status_code == 200, response.text
        stored, refused = (item["index"] for item in response.json()["items"])
        assert stored["status"] == 201 and refused["status"] == 400, response.text
        assert refused["error"]["caused_by"]["type"] == "event_too_large"
    else:
        assert response.status_code == 207, response.text
        body = response.json()
        assert body["accepted"] == 1 and [e["code"] for e in body["errors"]] == ["event_too_large"], body
    assert peak < MAX_GROWTH, f"{route.name}: {peak / 2**20:.1f} MiB at peak"
