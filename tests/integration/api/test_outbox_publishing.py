"""Issue 10, findings 6 and 7: the outbox knows what was published.

- A task whose publish never happened (API killed between commit and publish, queue down) is
  republished within seconds, while one merely waiting in its queue is not re-sent.
- A cleanup requested while SQS is down answers fast; the task says it waits for the queue.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx

from src.adapters.embedded.service import free_port
from src.adapters.postgres.engine import make_owner_engine
from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.tasks import WAITING_FOR_QUEUE, TaskType
from tests.conftest import TenantHandle
from tests.integration.api.conftest import app_client_with


async def _task_row(db: asyncpg.Connection, task_id: str) -> asyncpg.Record:
    row = await db.fetchrow("SELECT status, error_msg, published_at FROM async_task WHERE task_id = $1", UUID(task_id))
    assert row is not None
    return row


async def test_a_request_while_sqs_is_down_answers_fast_and_the_task_waits(
    postgres_url: str, redis_url: str, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    dead_aws = f"http://127.0.0.1:{free_port()}"
    async with app_client_with(postgres_url, redis_url, aws__endpoint_url=dead_aws) as client:
        before = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        started = time.monotonic()
        response = await client.delete("/api/v1/logs/cleanup", params={"before": before}, headers=tenant.headers)
        took = time.monotonic() - started
    assert response.status_code == 202, response.text
    assert took < 2.5, f"answered in {took:.1f} s"  # the publish timeout (1 s) plus a busy machine's margin
    assert response.json()["note"] == WAITING_FOR_QUEUE
    row = await _task_row(db, response.json()["task_id"])
    assert row["status"] == "pending" and row["published_at"] is None and row["error_msg"] == WAITING_FOR_QUEUE


async def test_the_relay_takes_unpublished_tasks_within_seconds_and_leaves_queued_ones(
    postgres_url: str, app_client: httpx.AsyncClient, tenant: TenantHandle, db: asyncpg.Connection
) -> None:
    dead_aws = f"http://127.0.0.1:{free_port()}"
    async with app_client_with(postgres_url, None, aws__endpoint_url=dead_aws) as client:
        before = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        lost = (await client.delete("/api/v1/logs/cleanup", params={"before": before}, headers=tenant.headers)).json()
        queued = (await client.delete("/api/v1/logs/cleanup", params={"before": before}, headers=tenant.headers)).json()
    # As if the second one had reached its queue: only the first one's message is missing.
    await db.execute("UPDATE async_task SET published_at = now() WHERE task_id = $1", UUID(queued["task_id"]))
    store = PostgresOutboxStore(make_owner_engine(postgres_url))
    now = datetime.now(UTC)
    taken = await store.take_stale_pending(
        types=frozenset({TaskType.ARCHIVE}),
        unpublished_before=now,  # "older than 0 s": the relay's few seconds have passed
        older_than=now - timedelta(seconds=300),
        lost_before=now - timedelta(hours=1),
        limit=100,
    )
    ids = {str(t.task_id) for t in taken}
    assert lost["task_id"] in ids and queued["task_id"] not in ids
    await store.mark_published(task_ids=[UUID(lost["task_id"])])
    row = await _task_row(db, lost["task_id"])
    assert row["published_at"] is not None and row["error_msg"] is None  # the waiting note is gone
