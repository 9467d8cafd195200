"""The exports' queries take their order from the primary key: rows leave as they are read, with no
sort of every matching row first (which waits for the last row and spills a large export to disk)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import asyncpg
import pytest

from src.adapters.postgres.export_copy import CSV_SELECT, csv_lines_select, json_lines_select
from tests.integration.archive.helpers import dsn


async def _plan(postgres_url: str, sql: str) -> str:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        # With sorting priced out, the planner sorts only where no index can give the order.
        await conn.execute("SET enable_sort = off")
        rows = await conn.fetch("EXPLAIN " + sql, uuid.uuid4())
    finally:
        await conn.close()
    return "\n".join(r[0] for r in rows)


def _sorts(plan: str) -> list[str]:
    """The plan's Sort nodes (`Sort  (cost=…`), not the `Sort Key:` of a Merge Append, which keeps
    the order of the partitions' index scans by merging them."""
    return [line for line in plan.splitlines() if re.match(r"\s*(->\s+)?(Incremental )?Sort\s+\(", line)]


@pytest.mark.parametrize("order", ["DESC", "ASC"])
@pytest.mark.parametrize("build", [json_lines_select, csv_lines_select], ids=["ndjson", "csv"])
async def test_export_order_comes_from_the_index(
    postgres_url: str, build: Callable[[str, str], str], order: str
) -> None:
    plan = await _plan(postgres_url, build("tenant_id = $1", order))
    assert not _sorts(plan), plan
    assert "Index Scan" in plan, plan


async def test_a_bare_timestamp_in_the_order_would_sort_the_text(postgres_url: str) -> None:
    # What `csv_lines_select` avoids: `"timestamp"` in ORDER BY names the `to_char` output column.
    plan = await _plan(postgres_url, f'SELECT {CSV_SELECT} FROM logs WHERE tenant_id = $1 ORDER BY "timestamp" DESC')
    assert _sorts(plan), plan
