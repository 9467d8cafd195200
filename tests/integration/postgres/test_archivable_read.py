"""The archive's read (`PostgresLogReader.stream_archivable`): attributes come back exactly as
ingest stored them, whatever the shape of their numbers and strings, and only the tenant's own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.domain.logs import LogEvent
from tests.conftest import TenantHandle

# Values whose JSON text PostgreSQL's jsonb rewrites: numeric prints 1.5e300 as 301 digits and
# 1e-7 as 0.0000001, keeps 0.0's scale; integers at the edges of 64 bits; escapes and non-ASCII.
ATTRIBUTES: list[dict[str, Any]] = [
    {"huge": 1.5e300, "tiny": 1e-7, "tenth": 0.1, "zero": 0.0, "neg": -42},
    {"i64_max": 9223372036854775807, "i64_min": -9223372036854775808, "u64_max": 18446744073709551615},
    {"nested": {"list": [1, "two", None, True, False, {"x": []}]}, "k é ✓ 😀": "v"},
    {"escapes": 'quote " backslash \\ newline \n tab \t', "empty": {}, "list": []},
    {},
]


async def _archivable(engine: AsyncEngine, tenant_id: str) -> list[LogEvent]:
    later = datetime.now(UTC) + timedelta(minutes=1)
    async with PostgresUnitOfWorkFactory(engine)() as uow:
        await uow.act_as_tenant(UUID(tenant_id))
        return [
            e
            async for e in uow.reader.stream_archivable(tenant_id=UUID(tenant_id), before=later, received_before=later)
        ]


def _exact(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # tells 0 from 0.0 and 1.5e300 from its integer digits


async def test_attributes_come_back_as_ingested_and_only_for_their_tenant(
    app_engine: AsyncEngine, app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    events = [{"message": f"shape {i}", "attributes": a} for i, a in enumerate(ATTRIBUTES)]
    response = await app_client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)
    assert response.status_code == 201, response.text

    read = await _archivable(app_engine, tenant.id)

    assert {e.message: _exact(e.attributes) for e in read} == {e["message"]: _exact(e["attributes"]) for e in events}
    assert all(e.tenant_id == UUID(tenant.id) for e in read)
    assert await _archivable(app_engine, other_tenant.id) == []
