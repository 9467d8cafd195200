"""Each fault as a scenario under load, measured the same way; the table the suite prints."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import orjson
import psutil

from tests.conftest import ADMIN_TOKEN
from tests.faults.platform import Platform, Shipper, pg_socket, searchable

RECOVERY_LIMIT = 60.0  # every acknowledged event searchable within this long after the fault ends
STREAM_LIMIT = 20.0


@dataclass
class Result:
    scenario: str
    acknowledged: int
    stored: int
    duplicates: int
    searchable: int
    streamed: int
    stream_gaps: int
    archived: str
    recover_seconds: float | None
    note: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.stored == self.acknowledged
            and self.duplicates == 0
            and self.searchable == self.acknowledged
            and self.recover_seconds is not None
            and self.stream_gaps == 0
            and " failed " not in self.archived
            and "?" not in self.archived
        )


# A fault: applies itself to the running platform, undoes itself, and answers what it observed.
Fault = Callable[[Platform, str], Awaitable[str]]


class StreamWatcher:
    """A live-tail client (SSE) for one service that resumes with Last-Event-ID, as a browser does."""

    def __init__(self, platform: Platform, api_key: str, service: str) -> None:
        self._platform, self._key, self._service = platform, api_key, service
        self.seen: set[str] = set()
        self.last_id: str | None = None
        self.connected = asyncio.Event()
        self.interruptions = 0

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self._platform.url, timeout=httpx.Timeout(5, read=10)) as client:
            while not stop.is_set():
                headers = {"Authorization": f"Bearer {self._key}"}
                if self.last_id:
                    headers["Last-Event-ID"] = self.last_id
                try:
                    async with client.stream(
                        "GET", "/api/v1/logs/tail", params={"service": self._service}, headers=headers
                    ) as response:
                        event = ""
                        if response.status_code == 200:
                            self.connected.set()
                        async for line in response.aiter_lines():
                            if stop.is_set():
                                return
                            if line.startswith("id: "):
                                self.last_id = line[4:]
                            elif line.startswith("event: "):
                                event = line[7:]
                            elif line.startswith("data: ") and event == "log":
                                self.seen.add(orjson.loads(line[6:])["message"])
                            elif line.startswith("data: ") and event == "error":
                                self.interruptions += 1  # told to resume: reconnect with Last-Event-ID
                except (httpx.HTTPError, KeyError, ValueError):
                    pass
                await asyncio.sleep(0.2)


async def run_scenario(
    platform: Platform, api_key: str, name: str, fault: Fault, *, warm: float = 2.0, after: float = 2.0
) -> Result:
    service = f"{name.replace(' ', '-')}-{uuid.uuid4().hex[:4]}"
    shipper = Shipper(platform, api_key, service)
    watcher = StreamWatcher(platform, api_key, service)
    stop_shipping, stop_watching = asyncio.Event(), asyncio.Event()
    watching = asyncio.create_task(watcher.run(stop_watching))
    await asyncio.wait_for(watcher.connected.wait(), timeout=30)
    shipping = asyncio.create_task(shipper.run(stop_shipping))
    await asyncio.sleep(warm)
    platform.fault_ended = None
    archived = await fault(platform, api_key)
    restored_at = platform.fault_ended or time.monotonic()
    await asyncio.sleep(after)
    stop_shipping.set()
    await shipping
    expected = len(shipper.acknowledged)

    async def search_catches_up() -> tuple[int, float | None]:
        found = -1
        while time.monotonic() - restored_at < RECOVERY_LIMIT:
            found = await searchable(platform, api_key, service)
            if found >= expected:
                return found, time.monotonic() - restored_at
            await asyncio.sleep(0.5)
        return found, None

    async def stream_catches_up() -> None:
        # A resumed client catches up from PostgreSQL (reported, not asserted: see the module doc).
        while not shipper.acknowledged <= watcher.seen and time.monotonic() - restored_at < STREAM_LIMIT:  # noqa: ASYNC110
            await asyncio.sleep(0.2)

    (found, recovered), _ = await asyncio.gather(search_catches_up(), stream_catches_up())
    stop_watching.set()
    watching.cancel()  # it may sit in a read until the next heartbeat
    with contextlib.suppress(asyncio.CancelledError):
        await watching
    stored, distinct = await platform.stored(service)
    streamed = len(watcher.seen & shipper.acknowledged)
    return Result(
        scenario=name,
        acknowledged=expected,
        stored=distinct,
        duplicates=stored - distinct,
        searchable=found,
        streamed=streamed,
        stream_gaps=expected - streamed,
        archived=archived,
        recover_seconds=None if recovered is None else round(recovered, 1),
        note=f"{shipper.retries} client retries, {watcher.interruptions} stream resumes",
    )


def cut(dependency: str, seconds: float) -> Fault:
    async def fault(platform: Platform, api_key: str) -> str:
        platform.proxies[dependency].cut()
        try:
            await asyncio.sleep(seconds)
        finally:
            platform.proxies[dependency].restore()
        return "-"

    return fault


def cut_aws_during_cleanup(seconds: float) -> Fault:
    """Finding 7: an archive request while S3/SQS is down answers fast and says it waits."""

    async def fault(platform: Platform, api_key: str) -> str:
        platform.proxies["aws"].cut()
        try:
            async with httpx.AsyncClient(base_url=platform.url, timeout=10) as client:
                started = time.monotonic()
                response = await client.delete(
                    "/api/v1/logs/cleanup",
                    params={"before": "2001-01-01T00:00:00Z"},
                    headers={"Authorization": f"Bearer {api_key}"},
                )
                took = time.monotonic() - started
                body = response.json()
            await asyncio.sleep(seconds)
        finally:
            platform.proxies["aws"].restore()
        waits = "waiting for the task queue" in (body.get("note") or "")
        restored = platform.fault_ended = time.monotonic()
        status = "?"
        async with httpx.AsyncClient(base_url=platform.url, timeout=10) as client:
            while time.monotonic() - restored < RECOVERY_LIMIT and status not in ("succeeded", "failed"):
                task = await client.get(
                    f"/api/v1/tasks/{body['task_id']}", headers={"Authorization": f"Bearer {api_key}"}
                )
                status = task.json().get("status", "?")
                await asyncio.sleep(0.5)
        ran = f"{status} {time.monotonic() - restored:.0f}s later"
        return f"{response.status_code} in {took:.1f}s{', waits' if waits else ''}; {ran}"

    return fault


def restart_search_empty(seconds: float) -> Fault:
    """Finding 3: the search backend restarts empty (osmem is in memory: no template, no documents).
    The index worker puts the template back, and the search reconciliation reindexes from PostgreSQL."""

    async def fault(platform: Platform, api_key: str) -> str:
        from urllib.parse import urlsplit

        from src.adapters.embedded.osmem import start_osmem
        from tests.faults.conftest import RESTARTED, SERVICES

        proxy = platform.proxies["opensearch"]
        proxy.cut()
        try:
            SERVICES["osmem"].stop()
            await asyncio.sleep(seconds)
            fresh = await asyncio.to_thread(start_osmem, japanese=False)
            RESTARTED.append(fresh)
            SERVICES["osmem"] = fresh
            parts = urlsplit(fresh.url)
            assert parts.hostname is not None and parts.port is not None
            proxy.retarget(parts.hostname, parts.port)
        finally:
            proxy.restore()
        return "-"

    return fault


def kill9_postgres(down_for: float, kills: int = 1) -> Fault:
    """The real postmaster kill -9'd (its backends die with it, in-flight transactions are lost),
    then started again on the same data directory: crash recovery replays the WAL. `kills` times
    in a row, under the same load. Nothing acknowledged may be lost: 201 meant committed."""

    async def fault(platform: Platform, api_key: str) -> str:
        from src.adapters.embedded.postgres import start_postgres
        from tests.faults.conftest import SERVICES

        for _ in range(kills):
            service = SERVICES["postgres"]
            socket_before = pg_socket(service.url)
            os.kill(service.pid, signal.SIGKILL)
            await asyncio.to_thread(_wait_dead, service.pid)
            # Forget the dead server's handle, so the next start really starts one. The library's
            # stop signals the postmaster it remembers, already gone: that error is expected here
            # (start_postgres also drops a handle whose server is dead).
            with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
                service.stop()
            await asyncio.sleep(down_for)
            fresh = await asyncio.to_thread(start_postgres, SERVICES["postgres_data"])
            SERVICES["postgres"] = fresh
            # The same data directory serves the same socket: the proxy (and every client) finds it.
            assert pg_socket(fresh.url) == socket_before, (fresh.url, service.url)
            await asyncio.sleep(down_for)  # some load on the recovered server before the next kill
        return "-"

    return fault


def _wait_dead(pid: int, within: float = 30) -> None:
    """Until the process is gone (or a zombie nobody reaps: dead all the same)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still alive {within}s after SIGKILL")


def kill9(process: str, down_for: float = 1.0) -> Fault:
    async def fault(platform: Platform, api_key: str) -> str:
        platform.kill9(process)
        await asyncio.sleep(down_for)
        platform.start(process)
        if process == "api":
            await platform.wait_ready()
        return "-"

    return fault


async def admin_get(platform: Platform, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=platform.url, timeout=5) as client:
        return await client.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def table(results: list[Result]) -> str:
    head = (
        f"{'scenario':<26} {'acked':>6} {'stored':>6} {'dups':>4} {'search':>6} {'streamed':>8} "
        f"{'gaps':>5} {'recover s':>9}  {'archived':<40} note"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        recover = f"{r.recover_seconds:.1f}" if r.recover_seconds is not None else "NEVER"
        lines.append(
            f"{r.scenario:<26} {r.acknowledged:>6} {r.stored:>6} {r.duplicates:>4} {r.searchable:>6} "
            f"{r.streamed:>8} {r.stream_gaps:>5} {recover:>9}  {r.archived:<40} {r.note}{'' if r.ok else '  FAIL'}"
        )
    return "\n".join(lines)
