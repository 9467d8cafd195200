"""Property-based fuzzing of the whole HTTP API from its OpenAPI document (schemathesis).

A real API process (uvicorn) on the integration services — PostgreSQL, Redis, OpenSearch, S3/SQS, with
a database, queues and bucket of its own (the fuzzer's tasks must not reach other tests' workers) — is
driven with valid credentials: a tenant's admin API key, and the platform admin token on the
platform-admin routes. Every answer must be below 500, and every 4xx of a native route must carry
the one JSON error shape. Runs are deterministic (derandomized) and bounded (few examples per route).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aioboto3
import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from sqlalchemy.engine import make_url

from src.adapters.opensearch.provision import ensure_index_template
from src.adapters.postgres.migrate import upgrade
from src.adapters.s3.provision import ensure_bucket
from src.adapters.sqs.provision import ensure_queues
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.integration.conftest import ApiProcess, _start
from tests.integration.search_engine import SearchNode

# Streams never end on their own; the WebSocket is not in the OpenAPI document at all.
EXCLUDED_PATHS = ["/api/v1/logs/tail"]
# Shipper protocols answer in their own formats (Elasticsearch errors, OTLP status), not ours.
FOREIGN_PREFIXES = ("/api/v1/compat/",)
PLATFORM_ADMIN_PREFIXES = ("/api/v1/tenants", "/api/v1/admin/")
MAX_EXAMPLES = int(os.environ.get("LOGPLANE_FUZZ_EXAMPLES", "12"))
MAX_COVERAGE_CASES = 150


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """NDJSON bodies as the document describes them (a string); a generated list becomes its lines."""
    if isinstance(value, list):
        return b"".join(_as_bytes(item) + b"\n" for item in value)
    return _as_bytes(value)


@schemathesis.serializer("application/x-protobuf")
def _protobuf(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """Shipper protobuf bodies: whatever bytes were generated (the routes must refuse garbage with a 4xx)."""
    return _as_bytes(value)


@dataclass(frozen=True)
class FuzzTarget:
    api: ApiProcess
    tenant_key: str


async def _isolated_database(postgres_url: str) -> str:
    """A fresh, migrated database on the same server: what the fuzzer creates (tasks in the outbox,
    tenants, keys) must never reach the other tests' workers through the shared outbox relay."""
    name = f"fuzz_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url, timescaledb="auto")
    return url


@pytest.fixture(scope="session")
async def fuzz_target(
    postgres_url: str, redis_url: str, aws_url: str, search_node: SearchNode
) -> AsyncIterator[FuzzTarget]:
    # Own database, queues and bucket; the search index is shared but only this tenant's is queried.
    prefix = f"fz{uuid.uuid4().hex[:6]}-"
    session = aioboto3.Session()
    await ensure_index_template(search_node.url)
    await ensure_queues(session, endpoint_url=aws_url, prefix=prefix, visibility_timeout=2, max_receive_count=3)
    await ensure_bucket(session, endpoint_url=aws_url, bucket=f"{prefix}archive", region="us-east-1")
    database_url = await _isolated_database(postgres_url)
    api = await asyncio.to_thread(
        _start,
        database_url,
        redis_url,
        LOGPLANE_OPENSEARCH_URL=search_node.url,
        LOGPLANE_AWS_ENDPOINT_URL=aws_url,
        LOGPLANE_SQS_QUEUE_PREFIX=prefix,
        LOGPLANE_S3_BUCKET=f"{prefix}archive",
        LOGPLANE_RATE_LIMIT_ADMIN_PER_MINUTE="100000",
    )
    try:
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
            created = await client.post(
                "/api/v1/tenants",
                json={"name": f"fuzz-{uuid.uuid4().hex[:10]}"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
        assert created.status_code == 201, created.text
        yield FuzzTarget(api=api, tenant_key=created.json()["api_key"])
    finally:
        api.process.terminate()
        await asyncio.to_thread(api.process.wait, 20)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, read from an app that is built but never started."""
    from src.entrypoints.http.app import make_app

    document = make_app(make_settings("postgresql+asyncpg://fuzz@localhost/unused", None)).openapi()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path not in EXCLUDED_PATHS
        for method in operations
    ]


@pytest.fixture(scope="session")
def api_schema(fuzz_target: FuzzTarget) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_target.api.url}/openapi.json")


def error_shape(response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A 4xx of a native route is `{"error": {"code", "message", "details"}}` (FastAPI's own 422/404/405 too)."""
    if not 400 <= response.status_code < 500 or case.path.startswith(FOREIGN_PREFIXES):
        return
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error = body["error"]
    assert {"code", "message", "details"} <= set(error), error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_the_api_answers_generated_requests_without_a_server_error(
    api_schema: schemathesis.BaseSchema, fuzz_target: FuzzTarget, method: str, path: str
) -> None:
    operation = api_schema[path][method]
    admin = path.startswith(PLATFORM_ADMIN_PREFIXES)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN if admin else fuzz_target.tenant_key}"}
    # Valid requests exercise the routes' depths; invalid ones (wrong types, missing fields) their refusals.
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        check(case)

    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=fuzz_target.api.url, headers=headers, timeout=30)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.query}: {response.text[:500]}"
        error_shape(response, case)

    # The coverage phase first: boundary and wrong-type values, unexpected methods; deterministic.
    coverage = api_schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=api_schema.config.generation_for(operation=operation),
    )
    for case in itertools.islice(coverage, MAX_COVERAGE_CASES):
        check(case)
    run()
