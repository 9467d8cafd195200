"""Issue 10, finding 5 (SQS half): the dev stack's moto keeps its queues in memory. When it starts
empty (a `logplane dev` restart, or the supervisor restarting moto), every unfinished task is queued
again at once — pending ones (which the relay would take only after 300 s) and running ones (which
it would never take) — and finished ones are not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import aioboto3
import asyncpg
import httpx

from src.adapters.sqs.provision import ensure_queues
from src.adapters.sqs.task_queue import SqsTaskQueue
from src.domain.tasks import QUEUE_FOR, TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.cli.dev import _requeue_unfinished
from tests.conftest import TenantHandle, make_settings


async def test_a_queue_that_starts_empty_gets_every_unfinished_task_again(
    postgres_url: str, app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    from src.adapters.embedded.moto import start_moto

    before = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    ids = []
    for _ in range(3):
        response = await app_client.delete("/api/v1/logs/cleanup", params={"before": before}, headers=tenant.headers)
        assert response.status_code == 202, response.text
        ids.append(UUID(response.json()["task_id"]))
    pending, running, finished = ids
    # As the last run left them: published to a queue that is gone, one taken by a worker, one done.
    await db.execute("UPDATE async_task SET published_at = now() WHERE task_id = ANY($1::uuid[])", ids)
    await db.execute("UPDATE async_task SET status = 'running', attempts = 1 WHERE task_id = $1", running)
    await db.execute("UPDATE async_task SET status = 'succeeded' WHERE task_id = $1", finished)

    moto = start_moto()  # a fresh, empty SQS, as after a restart
    prefix = f"rq{uuid.uuid4().hex[:6]}-"
    session = aioboto3.Session()
    try:
        await ensure_queues(session, endpoint_url=moto.url, prefix=prefix)
        container = build_container(
            make_settings(postgres_url, None, aws__endpoint_url=moto.url, aws__queue_prefix=prefix)
        )
        try:
            await _requeue_unfinished(container)
        finally:
            await container.close()
        queue = SqsTaskQueue(session, endpoint_url=moto.url, prefix=prefix)
        try:
            got: set[UUID] = set()
            while batch := await queue.receive(queue=QUEUE_FOR[TaskType.ARCHIVE], wait_seconds=0):
                got |= {UUID(m.body["task_id"]) for m in batch}
        finally:
            await queue.close()
    finally:
        moto.stop()
    mine = got & set(ids)
    assert mine == {pending, running}
