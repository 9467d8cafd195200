"""A syslog listener in this process over the test database, and reading back what a tenant stored."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from src.adapters.embedded.service import free_port
from src.entrypoints.syslog.listeners import Listening
from tests.conftest import TenantHandle, make_settings
from tests.polling import eventually

ListenerFactory = Callable[..., AbstractAsyncContextManager[Listening]]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def keys(mapping: dict[int, str]) -> dict[int, SecretStr]:
    return {port: SecretStr(key) for port, key in mapping.items()}


@pytest.fixture
def syslog_listener(postgres_url: str, redis_url: str) -> ListenerFactory:
    """`async with syslog_listener(tcp_ports=[…], port_keys=keys({…}), …) as listening:` — the
    `logplane syslog` listener (same builder) with those LOGPLANE_SYSLOG_* settings."""
    from src.entrypoints.bootstrap import build_container
    from src.entrypoints.syslog.run import build_listener

    @asynccontextmanager
    async def listener(**changes: Any) -> AsyncIterator[Listening]:
        changes = {"tcp_ports": [], "udp_ports": [], "tls_ports": [], **changes}
        settings = make_settings(postgres_url, redis_url, **{f"syslog__{k}": v for k, v in changes.items()})
        container = build_container(settings)
        built = build_listener(container)
        try:
            yield await built.start()
        finally:
            await built.stop()
            await container.close()

    return listener


@pytest.fixture
def tcp_port() -> int:
    return free_port()


@pytest.fixture
def udp_port() -> int:
    return free_udp_port()


async def stored(client: httpx.AsyncClient, tenant: TenantHandle) -> list[dict[str, Any]]:
    """Every event the tenant can read (PostgreSQL-backed search: the app has no search engine)."""
    response = await client.get("/api/v1/logs", params={"page_size": 500}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def wait_for(
    client: httpx.AsyncClient, tenant: TenantHandle, count: int, *, within: float = 60
) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]]:
        items = await stored(client, tenant)
        return items if len(items) >= count else []

    return await eventually(enough, within=within, what=f"{count} syslog event(s) stored for the tenant", every=0.2)


def by_message(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["message"]: item for item in items}


def metric(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0
