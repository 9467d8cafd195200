"""Helpers for the human-user tests: a browser-like client (HTTPS, its own cookie jar), users, login."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.conftest import TenantHandle
from tests.integration.api.conftest import ADMIN

PASSWORD = "correct horse battery staple"


@contextlib.asynccontextmanager
async def browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """HTTPS, so the Secure cookies a production deployment sets are sent back, as a browser would."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://logplane.test") as client:
        yield client


async def make_user(
    client: httpx.AsyncClient, tenant: TenantHandle, role: str, *, password: str = PASSWORD
) -> dict[str, Any]:
    """A user created by the tenant's admin API key."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/api/v1/users", json={"email": email, "role": role, "password": password}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def make_first_admin(client: httpx.AsyncClient, tenant: TenantHandle) -> dict[str, Any]:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        f"/api/v1/tenants/{tenant.id}/users",
        json={"email": email, "role": "admin", "password": PASSWORD},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def login(
    client: httpx.AsyncClient, tenant: TenantHandle, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"tenant": tenant.name, "email": email, "password": password})


async def logged_in(client: httpx.AsyncClient, tenant: TenantHandle, email: str) -> dict[str, str]:
    """Log in; returns the CSRF header to send on state-changing requests."""
    response = await login(client, tenant, email)
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}
