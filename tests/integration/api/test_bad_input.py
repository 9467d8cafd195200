"""Bad input is a 4xx in the one JSON error shape, never a 500, and never costs its neighbours."""

from __future__ import annotations

import base64

import httpx
import orjson
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import ADMIN, assert_error


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "0001-01-01T00:00:00Z"},
        {"to": "9999-12-31T23:59:59Z"},
        {"from": "1969-12-31T23:59:59Z"},
        {"cursor": _cursor(["2026-01-01T00:00:00+00:00", 5])},
        {"cursor": _cursor(["2026-01-01T00:00:00+00:00", ["a"]])},
        {"cursor": _cursor(["2026-01-01T00:00:00", "0190b0a0-0000-7000-8000-000000000000"])},
        {"cursor": _cursor(["0001-01-01T00:00:00+00:00", "0190b0a0-0000-7000-8000-000000000000"])},
        {"cursor": _cursor({"a": 1})},
        {"cursor": _cursor({"2026-01-01T00:00:00+00:00": 1, "0190b0a0-0000-7000-8000-000000000000": 2})},
        {"service": "a\x00b"},
        {"q": "a\x00b"},
    ],
)
async def test_search_refuses_out_of_range_values(
    app_client: httpx.AsyncClient, tenant: TenantHandle, params: dict[str, str]
) -> None:
    response = await app_client.get("/api/v1/logs", params=params, headers=tenant.headers)
    assert_error(response, 422)


@pytest.mark.parametrize(
    "params",
    [
        {"interval": "99999999999999999999d"},
        {"interval": "99999999999999999999"},
        {"from": "0001-01-01T00:00:00Z"},
        {"to": "9999-12-31T23:59:59Z"},
    ],
)
async def test_stats_refuses_out_of_range_values(
    app_client: httpx.AsyncClient, tenant: TenantHandle, params: dict[str, str]
) -> None:
    response = await app_client.get("/api/v1/logs/stats", params=params, headers=tenant.headers)
    assert_error(response, 422)


@pytest.mark.parametrize(
    "params",
    [{"attributes": "x"}, {"from": "0001-01-01T00:00:00Z"}, {"to": "9999-12-31T23:59:59Z"}, {"service": "\x00"}],
)
async def test_streamed_export_refuses_bad_filters(
    app_client: httpx.AsyncClient, tenant: TenantHandle, params: dict[str, str]
) -> None:
    response = await app_client.get("/api/v1/logs/export", params=params, headers=tenant.headers)
    assert_error(response, 422)


@pytest.mark.parametrize(
    "filters",
    [
        {"q": 5},
        {"severity": 5},
        {"severity": [5]},
        {"min_severity": 5},
        {"attributes": "x"},
        {"attributes": {"k": {"nested": 1}}},
        {"service": 5},
        {"host": ["x"]},
        {"sort": 1},
        {"from": 5},
        {"from": "0001-01-01T00:00:00Z"},
        {"to": "9999-12-31T23:59:59Z"},
        {"service": "a\x00"},
        {"attr.k": ["x"]},
    ],
)
async def test_export_request_refuses_filters_of_the_wrong_type(
    app_client: httpx.AsyncClient, tenant: TenantHandle, filters: dict[str, object]
) -> None:
    response = await app_client.post("/api/v1/exports", json={"filters": filters}, headers=tenant.headers)
    assert_error(response, 422)


@pytest.mark.parametrize(
    "limits",
    [{"requests_per_minute": 10**30}, {"max_batch_events": 2**63}, {"max_body_bytes": 2**40}],
)
async def test_tenant_limits_out_of_range_are_422(app_client: httpx.AsyncClient, limits: dict[str, int]) -> None:
    response = await app_client.post("/api/v1/tenants", json={"name": "huge", "limits": limits}, headers=ADMIN)
    assert_error(response, 422)


@pytest.mark.parametrize("name", ["a\x00b", "\ud800"])
async def test_key_and_tenant_names_refuse_unstorable_characters(
    app_client: httpx.AsyncClient, tenant: TenantHandle, name: str
) -> None:
    raw = f'{{"name": {_json_str(name)}, "scopes": ["read"]}}'
    response = await app_client.post(
        "/api/v1/keys", content=raw, headers={**tenant.headers, "Content-Type": "application/json"}
    )
    assert_error(response, 422)
    response = await app_client.post(
        "/api/v1/tenants",
        content=f'{{"name": {_json_str(name)}}}',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert_error(response, 422)


def _json_str(text: str) -> str:
    """JSON string literal with every non-ASCII or control character escaped (lone surrogates too)."""
    return '"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'
