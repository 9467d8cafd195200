"""The table of queries (cases.py) on OpenSearch, on PostgreSQL and in the stream's matcher, for the
same events, each compared with the expected events; a second tenant never sees the first's."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from src.domain.logs import LogEvent, public_view
from src.domain.querylang.errors import UnsupportedQuery
from src.domain.querylang.matcher import matches
from src.domain.querylang.table import finish
from tests.integration.querylang.cases import FILTERS, PIPELINES
from tests.integration.querylang.conftest import World
from tests.integration.querylang.events import TENANT_B


def _names(events: list[LogEvent] | None) -> list[str]:
    assert events is not None
    return sorted(str(e.attributes["n"]) for e in events)


def _opensearch_may_refuse(q: str) -> bool:
    return ":~" in q or re.search(r"attr\.[\w.]+:[<>\[{]", q) is not None or "attr." in q.split("|", 1)[-1]


@pytest.mark.parametrize(("q", "expected"), FILTERS, ids=[q or "<empty>" for q, _ in FILTERS])
async def test_filter(world: World, q: str, expected: str) -> None:
    want = sorted(expected.split())
    want_b = sorted(f"b{n}" for n in want if n in TENANT_B)
    query = world.query(q)
    for backend in ("opensearch", "postgres"):
        try:
            got = _names((await world.on(backend, world.a, query)).events)
        except UnsupportedQuery:
            assert backend == "opensearch" and _opensearch_may_refuse(q), f"{backend} refused {q!r}"
            continue
        assert got == want, f"{backend}: {q!r}"
        # The second tenant: only its own copies, never tenant A's events.
        got_b = _names((await world.on(backend, world.b, query)).events)
        if "{id" in q:  # ids differ between the tenants: B sees only its own copies, whatever they are
            assert set(got_b) <= {f"b{n}" for n in TENANT_B}, f"{backend} tenant B: {q!r}"
        else:
            assert got_b == want_b, f"{backend} tenant B: {q!r}"
    # The live stream's in-process matcher agrees on the same events.
    every = await world.on("postgres", world.a, world.query("*"))
    assert every.events is not None and len(every.events) == 18
    assert sorted(str(e.attributes["n"]) for e in every.events if matches(query.filter, public_view(e))) == want


def _same(got: list[tuple[Any, ...]], want: list[list[object]]) -> bool:
    if len(got) != len(want):
        return False
    for row, expected in zip(got, want, strict=True):
        for value, target in zip(row, expected, strict=True):
            if isinstance(target, float) and isinstance(value, int | float):
                if not math.isclose(value, target, rel_tol=1e-9):
                    return False
            elif value != target:
                return False
    return True


@pytest.mark.parametrize(("q", "rows"), PIPELINES, ids=[q for q, _ in PIPELINES])
async def test_pipeline(world: World, q: str, rows: list[list[object]]) -> None:
    query = world.query(q)
    answered = []
    for backend in ("opensearch", "postgres"):
        try:
            table = finish(query.plan, await world.on(backend, world.a, query))
        except UnsupportedQuery:
            assert backend == "opensearch" and _opensearch_may_refuse(q), f"{backend} refused {q!r}"
            continue
        answered.append(backend)
        assert _same(table.rows, rows), f"{backend}: {q!r} gave {table.rows}"
        other = finish(query.plan, await world.on(backend, world.b, query))
        assert all("b" + n not in str(other.rows) for n in ("13", "14")), other.rows
    assert "postgres" in answered


def _hourly(moments: list[datetime]) -> list[tuple[datetime, int]]:
    buckets: dict[datetime, int] = {}
    for moment in moments:
        start = datetime.fromtimestamp(int(moment.timestamp()) // 3600 * 3600, UTC)
        buckets[start] = buckets.get(start, 0) + 1
    return sorted(buckets.items())


async def test_timeslice_on_both_backends(world: World) -> None:
    query = world.query("severity:error | timeslice 1h")
    for backend in ("opensearch", "postgres"):
        table = finish(query.plan, await world.on(backend, world.a, query))
        assert [(c.name, c.type) for c in table.columns] == [("_timeslice", "timestamp"), ("count", "integer")]
        assert table.rows == _hourly([world.base - timedelta(minutes=m) for m in (85, 65, 35, 15)]), backend
        other = finish(query.plan, await world.on(backend, world.b, query))
        assert other.rows == _hourly([world.base - timedelta(minutes=m) for m in (85, 65)]), backend


def test_the_table_is_large_enough() -> None:
    assert len(FILTERS) + len(PIPELINES) >= 150
