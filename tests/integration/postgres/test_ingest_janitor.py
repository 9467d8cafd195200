"""The maintenance worker's janitor on the outbox: succeeded reindex tasks go after their time;
everything still useful stays, for every tenant alike (it runs as the owner, across tenants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.ingest_janitor import _TASKS_BATCH, PostgresIngestJanitor
from src.domain.ids import new_id
from tests.conftest import TenantHandle

_INSERT = text(
    """
    INSERT INTO async_task (task_id, tenant_id, task_type, status, payload, created_at, finished_at)
    VALUES (:task_id, :tenant_id, :task_type, :status, '{"log_ids": []}'::jsonb, :created_at, :finished_at)
    """
)


async def _task(owner: AsyncEngine, tenant_id: str, task_type: str, status: str, finished_at: datetime | None) -> UUID:
    task_id = new_id()
    created_at = (finished_at or datetime.now(UTC)) - timedelta(minutes=1)
    async with owner.begin() as conn:
        await conn.execute(
            _INSERT,
            {
                "task_id": task_id,
                "tenant_id": UUID(tenant_id),
                "task_type": task_type,
                "status": status,
                "created_at": created_at,
                "finished_at": finished_at,
            },
        )
    return task_id


async def _left(owner: AsyncEngine, ids: list[UUID]) -> set[UUID]:
    async with owner.connect() as conn:
        rows = await conn.execute(text("SELECT task_id FROM async_task WHERE task_id = ANY(:ids)"), {"ids": ids})
        return {UUID(str(r[0])) for r in rows}


@pytest.mark.parametrize("batch_size", [1, 10_000])
async def test_succeeded_reindex_tasks_expire_and_nothing_else(
    owner_engine: AsyncEngine, tenant: TenantHandle, other_tenant: TenantHandle, batch_size: int
) -> None:
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=10), now - timedelta(hours=1)
    due = [
        await _task(owner_engine, tenant.id, "reindex", "succeeded", old),
        await _task(owner_engine, other_tenant.id, "reindex", "succeeded", old),
    ]
    kept = [
        await _task(owner_engine, tenant.id, "reindex", "succeeded", recent),  # not yet its time
        await _task(owner_engine, tenant.id, "reindex", "failed", old),  # what went wrong stays visible
        await _task(owner_engine, tenant.id, "reindex", "pending", None),  # the outbox's work to do
        await _task(owner_engine, tenant.id, "reindex", "running", None),
        await _task(owner_engine, tenant.id, "export", "succeeded", old),  # other jobs keep their history
        await _task(owner_engine, other_tenant.id, "archive", "succeeded", old),
    ]
    janitor = PostgresIngestJanitor(owner_engine, batch_size=batch_size)
    # Only this test's tasks are that old: the API's own (recent) reindex tasks are never due here.
    assert await janitor.expire_reindex_tasks(older_than=now - timedelta(days=7)) == len(due)
    assert await _left(owner_engine, due + kept) == set(kept)
    assert await janitor.expire_reindex_tasks(older_than=now - timedelta(days=7)) == 0


async def test_the_expiry_statement_uses_its_partial_index(owner_engine: AsyncEngine) -> None:
    """A table that grows with every group commit must not be scanned whole every ten minutes: the
    janitor's own DELETE finds its rows through the partial index (migration 0013)."""
    async with owner_engine.begin() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        explain = text("EXPLAIN (COSTS OFF) " + _TASKS_BATCH.text)
        rows = await conn.execute(explain, {"before": datetime.now(UTC), "limit": 10_000})
        plan = "\n".join(r[0] for r in rows)
    assert "async_task_succeeded_reindex" in plan, plan
