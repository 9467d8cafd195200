"""Failures of the indexing pipeline: killed worker, poison message, lost publish, search outage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Sequence
from typing import Any

import aioboto3
import asyncpg
import orjson

from src.adapters.opensearch.provision import ensure_index_template
from src.domain.errors import DependencyUnavailable
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from tests.conftest import create_tenant
from tests.integration.conftest import Stack, running_worker
from tests.integration.search.test_indexing import _events
from tests.polling import until


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _worker_env(stack: Stack) -> dict[str, str]:
    s = stack.settings
    return {
        **os.environ,
        "LOGPLANE_DATABASE_URL": s.database.database_url,
        "LOGPLANE_AWS_ENDPOINT_URL": s.aws.endpoint_url,
        "LOGPLANE_SQS_QUEUE_PREFIX": s.aws.queue_prefix,
        "LOGPLANE_SQS_VISIBILITY_TIMEOUT": str(s.aws.visibility_timeout),
        "LOGPLANE_SQS_MAX_RECEIVE_COUNT": "10",
        "LOGPLANE_OPENSEARCH_URL": s.opensearch.url,
        "LOGPLANE_WORKER_RECEIVE_WAIT_SECONDS": "1",
        "LOGPLANE_WORKER_RELAY_STALE_SECONDS": "1",
        "LOGPLANE_WORKER_RELAY_INTERVAL_SECONDS": "0.5",
    }


def _spawn_worker(stack: Stack) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "src.entrypoints.cli.main", "worker", "index"],
        env=_worker_env(stack),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _all_ids(stack: Stack, headers: dict[str, str]) -> list[str]:
    ids: list[str] = []
    cursor = ""
    while True:
        body = (
            await stack.client.get("/api/v1/logs", params={"page_size": 1000, "cursor": cursor}, headers=headers)
        ).json()
        ids += [i["id"] for i in body["items"]]
        if not body["next_cursor"]:
            return ids
        cursor = body["next_cursor"]


async def _pg_ids(postgres_url: str, tenant_id: str) -> set[str]:
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        return {str(r[0]) for r in await conn.fetch("SELECT id FROM logs WHERE tenant_id = $1", uuid.UUID(tenant_id))}
    finally:
        await conn.close()


async def test_worker_killed_mid_batch_leaves_search_equal_to_postgres(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    worker = _spawn_worker(stack)
    try:
        for _ in range(10):
            await stack.ingest(tenant.headers, _events(300))
        # Kill it once it is indexing (some, not yet all, searchable): mid batch, not before it began.
        await stack.wait_searchable(tenant.headers, 1, within=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        await stack.ingest(tenant.headers, _events(300))
        worker = _spawn_worker(stack)
        await stack.wait_searchable(tenant.headers, 3300, within=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    indexed = await _all_ids(stack, tenant.headers)
    assert len(indexed) == len(set(indexed)) == 3300  # no duplicates
    assert set(indexed) == await _pg_ids(postgres_url, tenant.id)  # no loss


async def test_poison_message_ends_in_the_dead_letter_queue_with_the_task_failed(
    stack: Stack, postgres_url: str
) -> None:
    tenant = await create_tenant(stack.client)
    task_id = uuid.uuid4()
    conn = await asyncpg.connect(_dsn(postgres_url))
    try:
        await conn.execute(
            "INSERT INTO async_task (task_id, tenant_id, task_type, payload) VALUES ($1, $2, 'reindex', $3::jsonb)",
            task_id,
            uuid.UUID(tenant.id),
            orjson.dumps({"log_ids": ["not-a-uuid"]}).decode(),
        )
    finally:
        await conn.close()
    s = stack.settings
    async with aioboto3.Session().client("sqs", endpoint_url=s.aws.endpoint_url) as sqs:
        url = (await sqs.get_queue_url(QueueName=f"{s.aws.queue_prefix}index"))["QueueUrl"]
        dlq = (await sqs.get_queue_url(QueueName=f"{s.aws.queue_prefix}index-dlq"))["QueueUrl"]
        body = {"task_id": str(task_id), "task_type": "reindex", "tenant_id": tenant.id}
        await sqs.send_message(QueueUrl=url, MessageBody=orjson.dumps(body).decode())
        async with running_worker(stack.settings):
            dead: list[dict[str, Any]] = []
            for _ in range(40):
                got = await sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, MaxNumberOfMessages=10)
                dead += [orjson.loads(m["Body"]) for m in got.get("Messages", [])]
                if any(d.get("task_id") == str(task_id) for d in dead):
                    break
    assert any(d.get("task_id") == str(task_id) for d in dead)
    task = (await stack.client.get(f"/api/v1/tasks/{task_id}", headers=tenant.headers)).json()
    assert task["status"] == "failed"
    assert task["attempts"] >= 3  # maxReceiveCount; a relay copy of the never-started task may add one
    assert "bad log id" in task["error_msg"]


class _LosesEveryPublish(TaskQueue):
    """The API process 'crashes' between commit and publish: nothing reaches the queue."""

    async def publish(self, *, queue: str, bodies: Sequence[dict[str, Any]]) -> None:
        raise DependencyUnavailable("lost")

    async def receive(self, *, queue: str, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]:
        return []

    async def ack(self, *, queue: str, receipts: Sequence[str]) -> None:
        return None

    async def extend(self, *, queue: str, receipt: str, seconds: int) -> None:
        return None


async def test_publish_lost_after_commit_is_recovered_by_the_relay(stack: Stack) -> None:
    import httpx

    from src.entrypoints.http.app import make_app

    lossy = make_app(stack.settings, overrides={"queue": _LosesEveryPublish()})
    tenant = await create_tenant(stack.client)
    async with lossy.router.lifespan_context(lossy):
        transport = httpx.ASGITransport(app=lossy)
        async with httpx.AsyncClient(transport=transport, base_url="http://lossy.test") as client:
            response = await client.post("/api/v1/logs/bulk", json=_events(12), headers=tenant.headers)
            assert response.status_code == 201
    pending = (await stack.client.get("/api/v1/tasks", params={"type": "reindex"}, headers=tenant.headers)).json()
    assert [t["status"] for t in pending["items"]] == ["pending"]
    async with running_worker(stack.settings):
        await stack.wait_searchable(tenant.headers, 12)
    done = (await stack.client.get("/api/v1/tasks", params={"type": "reindex"}, headers=tenant.headers)).json()
    assert [t["status"] for t in done["items"]] == ["succeeded"]


async def test_search_outage_falls_back_to_postgres_and_indexing_catches_up(stack: Stack) -> None:
    """Last in this module: osmem is in memory, so restarting it empties the index (OpenSearch keeps it)."""
    tenant = await create_tenant(stack.client)
    async with running_worker(stack.settings):
        await stack.ingest(tenant.headers, _events(10))
        await stack.wait_searchable(tenant.headers, 10)
        stack.search.stop()
        try:
            plain = await stack.client.get("/api/v1/logs", params={"service": "svc1"}, headers=tenant.headers)
            assert plain.status_code == 200
            assert plain.headers["x-logplane-source"] == "postgres"
            assert plain.json()["total"] == 3
            stats = await stack.client.get("/api/v1/logs/stats", headers=tenant.headers)
            assert stats.status_code == 200 and stats.json()["total"] == 10
            ready = await stack.client.get("/health/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            assert ready.json()["checks"]["opensearch"].startswith("failed")
            # The query language means the same on PostgreSQL (tests/integration/querylang): q is answered too.
            text = await stack.client.get("/api/v1/logs", params={"q": "payment"}, headers=tenant.headers)
            assert text.status_code == 200 and text.headers["x-logplane-source"] == "postgres"
            assert text.json()["total"] == 2
            during = await stack.ingest(tenant.headers, _events(5, service="during-outage"))
            assert len(during) == 5

            async def indexing_failed() -> bool:
                # The worker tried while the index was down: its task is back to pending with the error.
                listed = await stack.client.get("/api/v1/tasks", params={"type": "reindex"}, headers=tenant.headers)
                return any(t["attempts"] >= 1 and t["error_msg"] for t in listed.json()["items"])

            await until(indexing_failed, within=30, what="a failed indexing attempt during the outage")
        finally:
            stack.search.start()
            await ensure_index_template(stack.search.url)
        caught_up = await stack.wait_searchable(tenant.headers, 5, within=40, service="during-outage")
    assert caught_up["total"] == 5


async def test_readiness_reports_search_and_queue_without_failing_on_them(stack: Stack) -> None:
    ready = await stack.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok", "opensearch": "ok", "sqs": "ok", "s3": "ok"}
