"""The one JSON error body, also for what the framework answers itself (unknown routes, methods)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import ADMIN, assert_error


@pytest.mark.parametrize("path", ["/nope", "/api/v1/log", "/api/v2/logs", "/api/v1/logs/bulk/extra"])
async def test_unknown_route_is_404_with_the_json_body(app_client: httpx.AsyncClient, path: str) -> None:
    response = await app_client.get(path)
    assert_error(response, 404, "not_found")


async def test_wrong_method_is_405_with_the_json_body(app_client: httpx.AsyncClient) -> None:
    response = await app_client.put("/api/v1/logs", json={"message": "x"})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


async def test_malformed_json_on_a_model_route_is_422(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/api/v1/tenants", content=b"{oops", headers={**ADMIN, "Content-Type": "application/json"}
    )
    error = assert_error(response, 422, "invalid_request")
    assert isinstance(error["details"], list) and error["details"]
    assert set(error["details"][0]) == {"field", "message", "type"}


async def test_errors_carry_the_request_id(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await app_client.post(
        "/api/v1/logs", json={"message": "x", "severity": "?"}, headers={**tenant.headers, "X-Request-ID": "trace-me-1"}
    )
    assert_error(response, 422)
    assert response.headers["x-request-id"] == "trace-me-1"
    generated = await app_client.get("/nope")
    assert len(generated.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/api/v1/logs", {}, 401),
        ("post", "/api/v1/logs/bulk", {}, 401),
        ("get", "/api/v1/keys", {}, 401),
        ("delete", "/api/v1/keys/00000000-0000-0000-0000-000000000000", {}, 401),
        ("post", "/api/v1/keys", {"json": {"name": "x", "scopes": ["read"]}}, 401),
        ("get", "/api/v1/tenants", {}, 401),
        ("patch", "/api/v1/tenants/00000000-0000-0000-0000-000000000000", {"json": {}}, 401),
        ("post", "/api/v1/auth/token", {"json": {"api_key": "lp_unknown"}}, 401),
        ("post", "/api/v1/auth/token", {"json": {"api_key": 5}}, 422),
        ("post", "/api/v1/auth/token", {"json": {"api_key": "lp_x", "extra": 1}}, 422),
    ],
)
async def test_every_route_refuses_in_the_same_shape(
    app_client: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, object], status: int
) -> None:
    response = await getattr(app_client, method)(path, **kwargs)
    assert_error(response, status)


@pytest.mark.parametrize("given", [b"\xff\xfe", b"two words", b"tab\there", b"new\x7fline"])
async def test_unusable_request_ids_are_replaced_not_a_crash(app_client: httpx.AsyncClient, given: bytes) -> None:
    response = await app_client.get("/health/live", headers={b"X-Request-ID": given})
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_long_request_ids_are_cut_to_64_characters(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/health/live", headers={"X-Request-ID": "a" * 100})
    assert response.headers["x-request-id"] == "a" * 64
