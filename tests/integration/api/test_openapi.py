"""The OpenAPI document is a contract: typed 2xx bodies, the real error shape, security schemes,
examples; real answers match it; /docs and /redoc work offline (assets from the installed package)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel

from src.entrypoints.http import response_models as out
from tests.conftest import ADMIN_TOKEN, create_tenant
from tests.integration.conftest import Stack

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def document(stack: Stack) -> dict[str, Any]:
    response = await stack.client.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and "responses" in op
    ]


async def test_every_operation_declares_a_typed_success_body(document: dict[str, Any]) -> None:
    untyped = []
    for path, method, op in _operations(document):
        # A redirect is the success of a browser hop (the OIDC login start): 3xx counts, bodiless.
        successes = {code: r for code, r in op["responses"].items() if code.startswith(("2", "3"))}
        assert successes, f"{method} {path} declares no 2xx"
        for code, response in successes.items():
            if code == "204" or code.startswith("3"):
                continue
            schemas = [media.get("schema") for media in response.get("content", {}).values()]
            if not schemas or any(s in (None, {}) for s in schemas):
                untyped.append(f"{method.upper()} {path} {code}")
    assert untyped == []


async def test_errors_are_documented_in_the_real_shape(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    for path, method, op in _operations(document):
        if path.startswith("/api/v1/compat/"):
            assert "4XX" in op["responses"], f"{method} {path}"
            continue
        for code, response in op["responses"].items():
            if code.startswith("4") or (code == "503" and path != "/health/ready"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorBody", f"{method} {path} {code}"
        if op.get("security"):
            assert {"401", "422", "429"} <= op["responses"].keys(), f"{method} {path}"


async def test_security_schemes_cover_every_tenant_route(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`lp_…`) or a JWT from POST /api/v1/auth/token",
    }
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"
    assert schemes["basic"]["scheme"] == "basic" and schemes["adminToken"]["scheme"] == "bearer"
    open_routes = {
        "/health/live",
        "/health/ready",
        "/metrics",
        "/api/v1/auth/token",
        "/api/v1/auth/login",
        "/api/v1/auth/methods",
        "/api/v1/auth/oidc/login",
        "/api/v1/auth/oidc/callback",
    }
    assert schemes["session"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "logplane_session",
        "description": schemes["session"]["description"],
    }
    for path, method, op in _operations(document):
        if path in open_routes:
            continue
        names = {name for requirement in op.get("security", []) for name in requirement}
        assert names, f"{method} {path} declares no credential"
        if path.startswith(("/api/v1/tenants", "/api/v1/admin/")):
            assert names == {"adminToken"}, path
        elif path == "/api/v1/logs/tail":
            assert names == {"bearer", "tokenQuery", "session"}, path
        elif path == "/api/v1/auth/logout":
            assert names == {"session", "bearer"}, path
        elif path.startswith("/api/v1/compat/"):
            assert names == {"basic", "bearer", "apiKey"}, path
        else:
            # A user's session cookie works wherever a key or token does.
            assert names == {"bearer", "apiKey", "session"}, path


async def test_ingest_and_search_carry_examples(document: dict[str, Any]) -> None:
    one = document["paths"]["/api/v1/logs"]["post"]["requestBody"]["content"]["application/json"]
    assert one["schema"] == {"$ref": "#/components/schemas/LogEventIn"} and one["example"]["message"]
    bulk = document["paths"]["/api/v1/logs/bulk"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-ndjson"} <= bulk.keys()
    assert "text/plain" in document["paths"]["/api/v1/logs/raw"]["post"]["requestBody"]["content"]
    search = document["paths"]["/api/v1/logs"]["get"]
    assert "attr.<key>" in search["description"]
    assert document["components"]["schemas"]["SearchOut"]["example"]["items"]
    assert "WS /api/v1/logs/stream" in document["info"]["description"]


async def test_docs_pages_load_their_assets_from_the_app(stack: Stack) -> None:
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = (await stack.client.get(page)).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
        assert f"/static-offline-docs/{asset}" in sources
        served = await stack.client.get(f"/static-offline-docs/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000


def _check(model: type[BaseModel], body: Any) -> None:
    model.model_validate(body)


async def test_real_answers_match_their_declared_models(stack: Stack) -> None:
    client = stack.client
    created = await client.post("/api/v1/tenants", json={"name": "openapi-contract"}, headers=ADMIN)
    _check(out.TenantCreatedOut, created.json())
    tenant = await create_tenant(client)
    h = tenant.headers
    one = await client.post("/api/v1/logs", json={"message": "contract", "level": "warn"}, headers=h)
    assert one.status_code == 201
    _check(out.StoredOut, one.json())
    bulk = await client.post("/api/v1/logs/bulk", json=[{"message": "a"}, {"nope": 1}], headers=h)
    assert bulk.status_code == 207
    _check(out.BatchOut, bulk.json())
    raw = await client.post(
        "/api/v1/logs/raw", content=b"level=info msg=hi\n", headers={**h, "Content-Type": "text/plain"}
    )
    _check(out.BatchOut, raw.json())
    _check(out.LogEventOut, (await client.get(f"/api/v1/logs/{one.json()['id']}", headers=h)).json())
    _check(out.SearchOut, (await client.get("/api/v1/logs", headers=h)).json())
    _check(out.StatsOut, (await client.get("/api/v1/logs/stats", headers=h)).json())
    _check(out.TaskListOut, (await client.get("/api/v1/tasks", headers=h)).json())
    key = await client.post("/api/v1/keys", json={"name": "k", "scopes": ["read"]}, headers=h)
    _check(out.KeyCreatedOut, key.json())
    _check(out.KeyListOut, (await client.get("/api/v1/keys", headers=h)).json())
    _check(out.TokenOut, (await client.post("/api/v1/auth/token", json={"api_key": tenant.api_key})).json())
    _check(out.ParserListOut, (await client.get("/api/v1/parsers", headers=h)).json())
    _check(out.ParseOut, (await client.post("/api/v1/parse", json={"text": "hello"}, headers=h)).json())
    _check(out.RejectionListOut, (await client.get("/api/v1/ingest/rejections", headers=h)).json())
    _check(out.ArchiveListOut, (await client.get("/api/v1/archives", headers=h)).json())
    _check(out.TenantListOut, (await client.get("/api/v1/tenants", headers=ADMIN)).json())
    _check(out.HealthOut, (await client.get("/health/live")).json())
    error = await client.get("/api/v1/logs", params={"page": 0}, headers=h)
    assert error.status_code == 422
    _check(out.ErrorBody, error.json())
