"""Two real API processes (uvicorn) sharing PostgreSQL and Redis, for the live stream tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from src.adapters.embedded.service import free_port
from tests.conftest import ADMIN_TOKEN

JWT_SECRET = "stream-test-jwt-secret-" + "s" * 32


@dataclass
class ApiProcess:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


def _start(postgres_url: str, redis_url: str, **env: str) -> ApiProcess:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "src.entrypoints.cli.main", "api", "--port", str(port)],
        env={
            **os.environ,
            "LOGPLANE_DATABASE_URL": postgres_url,
            "LOGPLANE_REDIS_URL": redis_url,
            "LOGPLANE_ADMIN_TOKEN": ADMIN_TOKEN,
            "LOGPLANE_JWT_SECRET": JWT_SECRET,
            "LOGPLANE_RATE_LIMIT_DEFAULT_PER_MINUTE": "100000",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return ApiProcess(url, process)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("API process did not start")


@pytest.fixture(scope="session")
def two_apis(postgres_url: str, redis_url: str) -> Iterator[tuple[ApiProcess, ApiProcess]]:
    # A modest per-client queue: it absorbs a burst for a fast client, and a slow one overflows it.
    first = _start(postgres_url, redis_url, LOGPLANE_API_STREAM_QUEUE_SIZE="500")
    second = _start(postgres_url, redis_url, LOGPLANE_API_STREAM_QUEUE_SIZE="500")
    try:
        yield first, second
    finally:
        for api in (first, second):
            api.process.terminate()
            api.process.wait(timeout=20)
