"""The events of events.py stored once for this package's tests, for two tenants, searchable."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.domain.querylang.language import parse_query
from src.domain.querylang.table import PipelineQuery, PipelineRows
from tests.conftest import create_tenant
from tests.integration.conftest import Stack
from tests.integration.querylang.events import TENANT_B, payload

_PLACEHOLDER = re.compile(r"\{(t|e|ms)-(\d+)m\}|\{id(\d\d)\}")


@dataclass
class World:
    stack: Stack
    base: datetime
    a: UUID
    b: UUID
    ids: dict[str, str]
    a_headers: dict[str, str]
    b_key: str = ""

    def render(self, q: str) -> str:
        def sub(m: re.Match[str]) -> str:
            if m[3]:
                return self.ids[m[3]]
            moment = self.base - timedelta(minutes=int(m[2]))
            if m[1] == "t":
                return moment.isoformat().replace("+00:00", "Z")
            seconds = moment.timestamp()
            return str(math.ceil(seconds)) if m[1] == "e" else str(math.ceil(seconds * 1000))

        return _PLACEHOLDER.sub(sub, q)

    def query(self, q: str) -> PipelineQuery:
        parsed = parse_query(self.render(q), now=datetime.now(UTC))
        return PipelineQuery(
            start=self.base - timedelta(days=1), end=datetime.now(UTC) + timedelta(minutes=1),
            filter=parsed.filter, plan=parsed.plan,
        )  # fmt: skip

    async def on(self, backend: str, tenant: UUID, query: PipelineQuery) -> PipelineRows:
        container = self.stack.app.state.container
        if backend == "opensearch":
            rows: PipelineRows = await container.search_index.run_pipeline(tenant_id=tenant, query=query)
            return rows
        async with PostgresUnitOfWorkFactory(container.app_engine)() as uow:
            await uow.act_as_tenant(tenant)
            rows = await uow.reader.run_pipeline(tenant_id=tenant, query=query)
            return rows


@pytest.fixture(scope="package")
async def world(stack: Stack) -> World:
    base = datetime.now(UTC).replace(microsecond=0)
    a, b = await create_tenant(stack.client), await create_tenant(stack.client)
    ids = await stack.ingest(a.headers, payload(base))
    b_ids = await stack.ingest(b.headers, payload(base, prefix="b", only=TENANT_B))
    # Indexed here from what PostgreSQL stored rather than by the index worker: the worker may have
    # other tests' backlog to get through first (the index worker has its own tests).
    container = stack.app.state.container
    for tenant, stored in ((a, ids), (b, b_ids)):
        async with PostgresUnitOfWorkFactory(container.app_engine)() as uow:
            await uow.act_as_tenant(UUID(tenant.id))
            events = await uow.reader.get_many(tenant_id=UUID(tenant.id), ids=[UUID(i) for i in stored])
        report = await container.search_index.index(events)
        assert report.indexed == len(stored) and report.failed == 0, report
    await container.search_index.refresh()
    await stack.wait_searchable(a.headers, 18)
    await stack.wait_searchable(b.headers, 3)
    return World(
        stack, base, UUID(a.id), UUID(b.id), {f"{i + 1:02d}": x for i, x in enumerate(ids)}, a.headers, b.api_key
    )
