"""Kills in the middle of archiving and of deleting; the retention scheduler's single leader."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg

from src.adapters.postgres.engine import make_owner_engine
from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.domain.tasks import TaskType
from src.usecases.publish_tasks import PublishTasks
from src.usecases.schedule_retention import ScheduleRetention
from tests.conftest import ADMIN_TOKEN, create_tenant
from tests.fakes import FakeTaskQueue
from tests.integration.archive.helpers import archived_rows, dsn, events_on, pg_rows, wait_task
from tests.integration.conftest import Stack
from tests.polling import until


def _spawn(stack: Stack, worker: str, **extra: str) -> subprocess.Popen[bytes]:
    s = stack.settings
    env = {
        **os.environ,
        "LOGPLANE_DATABASE_URL": s.database.database_url,
        "LOGPLANE_AWS_ENDPOINT_URL": s.aws.endpoint_url,
        "LOGPLANE_SQS_QUEUE_PREFIX": s.aws.queue_prefix,
        "LOGPLANE_S3_BUCKET": s.aws.bucket,
        "LOGPLANE_SQS_VISIBILITY_TIMEOUT": "2",
        "LOGPLANE_SQS_MAX_RECEIVE_COUNT": "10",
        "LOGPLANE_OPENSEARCH_URL": s.opensearch.url,
        "LOGPLANE_WORKER_RECEIVE_WAIT_SECONDS": "1",
        "LOGPLANE_WORKER_RELAY_STALE_SECONDS": "1",
        "LOGPLANE_WORKER_RELAY_INTERVAL_SECONDS": "0.5",
        "LOGPLANE_WORKER_ARCHIVE_SETTLE_SECONDS": "0",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "src.entrypoints.cli.main", "worker", worker],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _task_result(postgres_url: str, task_id: str) -> dict:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        row = await conn.fetchrow("SELECT status, result FROM async_task WHERE task_id = $1", uuid.UUID(task_id))
    finally:
        await conn.close()
    import orjson

    return {"status": row["status"], "result": orjson.loads(row["result"])}


async def _count(postgres_url: str, tenant_id: str) -> int:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM logs WHERE tenant_id = $1", uuid.UUID(tenant_id)))
    finally:
        await conn.close()


async def _until(predicate, within: float = 60, poll: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    await until(predicate, within=within, poll=poll)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _kill(proc)


async def test_kills_mid_archive_and_mid_delete_lose_nothing_and_duplicate_nothing(
    stack: Stack, postgres_url: str
) -> None:
    tenant = await create_tenant(stack.client)
    # A neighbour on the same days keeps the partitions from being dropped whole: batched deletes.
    neighbour = await create_tenant(stack.client)
    await stack.ingest(neighbour.headers, events_on([9, 8], 3, "neighbour"))
    for _ in range(8):
        await stack.ingest(tenant.headers, events_on([9, 8], 1000, "bulk"))
    original = set(await pg_rows(postgres_url, tenant.id))
    assert len(original) == 16_000
    before = datetime.now(UTC) - timedelta(days=7)
    task_id = (
        await stack.client.delete("/api/v1/logs/cleanup", params={"before": before.isoformat()}, headers=tenant.headers)
    ).json()["task_id"]

    # Archive in small parts so there is a "middle" to kill it in.
    archiver = _spawn(stack, "archive", LOGPLANE_WORKER_ARCHIVE_PART_ROWS="1000")
    try:

        async def some_parts_written() -> bool:
            return (await _task_result(postgres_url, task_id))["result"].get("objects", 0) >= 2

        await _until(some_parts_written)
        _kill(archiver)
        archiver = _spawn(stack, "archive", LOGPLANE_WORKER_ARCHIVE_PART_ROWS="1000")
        archive = await wait_task(stack, tenant.headers, task_id, within=120)
    finally:
        _stop(archiver)
    assert archive["status"] == "succeeded", archive
    assert archive["result"]["rows_archived"] == 16_000
    cleanup_id = archive["result"]["cleanup_task_id"]

    # Delete in small batches, kill once some rows are gone, then let a fresh worker finish.
    # Small batches (each its own transaction) make the delete last long enough to be killed in.
    cleaner = _spawn(stack, "cleanup", LOGPLANE_WORKER_CLEANUP_BATCH="50")
    try:

        async def some_rows_deleted() -> bool:
            return await _count(postgres_url, tenant.id) < 16_000

        await _until(some_rows_deleted, poll=0.005)
        _kill(cleaner)
        left = set(await pg_rows(postgres_url, tenant.id))
        cleaner = _spawn(stack, "cleanup", LOGPLANE_WORKER_CLEANUP_BATCH="50")
        cleanup = await wait_task(stack, tenant.headers, cleanup_id, within=120)
    finally:
        _stop(cleaner)
    assert cleanup["status"] == "succeeded", cleanup
    assert 0 < len(left) < 16_000  # the kill really happened mid-delete

    archived = Counter(r["id"] for r in await archived_rows(stack, tenant.headers))
    assert all(n == 1 for n in archived.values())  # no row twice in the archive
    remaining = set(await pg_rows(postgres_url, tenant.id))
    assert remaining == set()
    assert set(archived) == original  # every row is in the archive exactly once
    assert len(await pg_rows(postgres_url, neighbour.id)) == 6


async def test_one_retention_scheduler_acts_across_processes(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    patched = await stack.client.patch(
        f"/api/v1/tenants/{tenant.id}",
        json={"retention_days": 2},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert patched.status_code == 200
    await stack.ingest(tenant.headers, events_on([4, 1], 5, "old-and-new"))
    engines = [make_owner_engine(postgres_url), make_owner_engine(postgres_url)]
    try:
        queue = FakeTaskQueue()
        uow = PostgresUnitOfWorkFactory(stack.app.state.container.app_engine)
        schedulers = [
            ScheduleRetention(uow, PostgresLeaderLock(engine, key=424242), PublishTasks(queue)) for engine in engines
        ]
        first, second = await asyncio.gather(*(s.execute() for s in schedulers))
        mine = [t for t in first + second if t.tenant_id == uuid.UUID(tenant.id)]
        assert len(mine) == 1 and not (first and second)  # only the leader scheduled
        assert mine[0].task_type is TaskType.ARCHIVE
        before = datetime.fromisoformat(mine[0].payload["before"])
        assert datetime.now(UTC) - timedelta(days=2, minutes=5) < before < datetime.now(UTC) - timedelta(days=2)
        # A second round while that archive task is pending schedules nothing more for the tenant.
        leader = schedulers[0] if first else schedulers[1]
        again = await leader.execute()
        assert [t for t in again if t.tenant_id == uuid.UUID(tenant.id)] == []
        assert [m["task_id"] for m in queue.sent["archive"] if m["tenant_id"] == tenant.id] == [str(mine[0].task_id)]
    finally:
        for scheduler in schedulers:
            await scheduler._lock.release()
        for engine in engines:
            await engine.dispose()
