"""RunQuery: the read scope, the principal's tenant only, and PostgreSQL when the index is down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from src.domain.credentials import Scope
from src.domain.errors import Forbidden
from src.domain.querylang.language import parse_query
from src.domain.querylang.table import PipelineQuery
from src.usecases.run_query import RunQuery
from tests.unit.test_indexing_usecases import NOW, World, who


def _query(q: str) -> PipelineQuery:
    parsed = parse_query(q, now=NOW)
    return PipelineQuery(start=NOW - timedelta(hours=1), end=NOW, filter=parsed.filter, plan=parsed.plan)


@pytest.fixture
def world() -> World:
    return World()


async def test_tenants_see_only_their_own_rows_on_either_store(world: World) -> None:
    a, b = who(Scope.INGEST, Scope.READ), who(Scope.INGEST, Scope.READ)
    await world.store(a, 5)
    await world.store(b, 2)
    await world.worker.execute(await world.receive())
    run = RunQuery(world.index, world.uow)
    for down in (False, True):
        world.index.down = down
        table, source = await run.execute(principal=a, query=_query("| stats count()"))
        assert table.rows == [(5,)] and source == ("postgres" if down else "opensearch")
        table, _ = await run.execute(principal=b, query=_query("m1 OR m0"))
        assert len(table.rows) == 2


async def test_the_read_scope_is_required(world: World) -> None:
    with pytest.raises(Forbidden):
        await RunQuery(world.index, world.uow).execute(principal=who(Scope.INGEST), query=_query("*"))
