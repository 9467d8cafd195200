"""Cleanup archives then deletes; restore brings back; a second tenant is untouched throughout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.conftest import create_tenant
from tests.integration.archive.helpers import archived_rows, dsn, events_on, pg_rows, wait_task
from tests.integration.conftest import Stack, running_worker
from tests.polling import until


async def _search_total(stack: Stack, headers: dict[str, str], **params: str) -> int:
    body = (await stack.client.get("/api/v1/logs", params=params, headers=headers)).json()
    return int(body["total"])


async def test_cleanup_archives_exactly_the_deleted_rows_and_spares_others(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    cutoff = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    async with running_worker(stack.settings, "index", "archive", "cleanup"):
        await stack.ingest(tenant.headers, events_on([5, 4, 3, 0], 25, "mine"))
        await stack.ingest(other.headers, events_on([5, 4, 3, 0], 10, "theirs"))
        await stack.wait_searchable(tenant.headers, 100)
        await stack.wait_searchable(other.headers, 40)
        doomed = await pg_rows(postgres_url, tenant.id, before=cutoff)
        assert len(doomed) == 75
        other_before = await pg_rows(postgres_url, other.id)

        response = await stack.client.delete(
            "/api/v1/logs/cleanup", params={"before": cutoff.isoformat()}, headers=tenant.headers
        )
        assert response.status_code == 202, response.text
        archive = await wait_task(stack, tenant.headers, response.json()["task_id"])
        assert archive["status"] == "succeeded", archive
        assert archive["result"]["rows_archived"] == 75
        assert archive["result"]["objects"] == 3  # one per day
        cleanup = await wait_task(stack, tenant.headers, archive["result"]["cleanup_task_id"])
        assert cleanup["status"] == "succeeded", cleanup
        assert cleanup["result"]["deleted_rows"] == 75
        assert cleanup["result"]["deleted_documents"] == 75
        assert cleanup["result"]["deleted_pattern_minutes"] > 0

    # Pattern counts follow the rows: the deleted days' minutes are gone, the rest and the other
    # tenant's are whole.
    assert await _pattern_totals(postgres_url, tenant.id, cutoff) == (0, 25)
    assert await _pattern_totals(postgres_url, other.id, cutoff) == (30, 10)
    # PostgreSQL keeps only today's rows of this tenant; the other tenant lost nothing.
    assert await pg_rows(postgres_url, tenant.id, before=cutoff) == {}
    assert len(await pg_rows(postgres_url, tenant.id)) == 25
    assert await pg_rows(postgres_url, other.id) == other_before
    # The archive holds exactly the deleted rows, content included.
    archived = await archived_rows(stack, tenant.headers)
    assert sorted(r["id"] for r in archived) == sorted(doomed)
    for row in archived:
        assert row["message"] == doomed[row["id"]]["message"]
        assert row["attributes"] == doomed[row["id"]]["attributes"]
        assert datetime.fromisoformat(row["timestamp"]) == doomed[row["id"]]["timestamp"]
        assert row["tenant_id"] == tenant.id
    # The search index forgot them too; the other tenant's archive view is empty.
    assert await _search_total(stack, tenant.headers) == 25
    assert await _search_total(stack, other.headers) == 40
    assert (await stack.client.get("/api/v1/archives", headers=other.headers)).json()["items"] == []


async def _pattern_totals(postgres_url: str, tenant_id: str, cutoff: datetime) -> tuple[int, int]:
    """Mined events counted in `pattern_counts` before and after `cutoff`."""
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        row = await conn.fetchrow(
            "SELECT coalesce(sum(total) FILTER (WHERE minute < $2), 0) AS before, "
            "coalesce(sum(total) FILTER (WHERE minute >= $2), 0) AS after FROM pattern_counts WHERE tenant_id = $1",
            uuid.UUID(tenant_id),
            cutoff,
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row["before"]), int(row["after"])


async def _pattern_ids(postgres_url: str, tenant_id: str) -> dict[str, str | None]:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        rows = await conn.fetch("SELECT id, pattern_id FROM logs WHERE tenant_id = $1", uuid.UUID(tenant_id))
    finally:
        await conn.close()
    return {str(r["id"]): r["pattern_id"] for r in rows}


async def test_restore_brings_archived_rows_back_searchable(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    # A day no other test uses: this tenant alone on it, so cleanup drops the whole partition.
    async with running_worker(stack.settings, "index", "archive", "cleanup"):
        events = events_on([20], 30, "restore-me")
        await stack.ingest(tenant.headers, events)
        await stack.wait_searchable(tenant.headers, 30)
        original = await pg_rows(postgres_url, tenant.id)
        mined = await _pattern_ids(postgres_url, tenant.id)
        assert len(mined) == 30 and None not in mined.values()
        before = datetime.now(UTC) - timedelta(days=19)
        task_id = (
            await stack.client.delete(
                "/api/v1/logs/cleanup", params={"before": before.isoformat()}, headers=tenant.headers
            )
        ).json()["task_id"]
        archive = await wait_task(stack, tenant.headers, task_id)
        cleanup = await wait_task(stack, tenant.headers, archive["result"]["cleanup_task_id"])
        assert cleanup["result"]["deleted_rows"] == 30
        # The events' own day: just after midnight, "20 days ago" from now is a day later than theirs.
        day = datetime.fromisoformat(events[0]["timestamp"]).strftime("%Y%m%d")
        assert cleanup["result"]["dropped_partitions"] == [f"logs_p{day}"]
        assert await pg_rows(postgres_url, tenant.id) == {}
        assert await _search_total(stack, tenant.headers) == 0

        start = datetime.now(UTC) - timedelta(days=21)
        response = await stack.client.post(
            "/api/v1/logs/restore", json={"from": start.isoformat(), "to": before.isoformat()}, headers=tenant.headers
        )
        assert response.status_code == 202, response.text
        restore = await wait_task(stack, tenant.headers, response.json()["task_id"])
        assert restore["status"] == "succeeded", restore
        assert restore["result"]["restored"] == 30
        assert await pg_rows(postgres_url, tenant.id) == original
        # Archives hold no pattern ids: restored rows are mined again, into the patterns they had.
        assert await _pattern_ids(postgres_url, tenant.id) == mined
        await stack.wait_searchable(tenant.headers, 30, q="restore-me")
        await stack.wait_searchable(tenant.headers, 30, q="pattern_id:*")

        # Restoring again stores nothing twice.
        again = await stack.client.post(
            "/api/v1/logs/restore", json={"from": start.isoformat(), "to": before.isoformat()}, headers=tenant.headers
        )
        repeat = await wait_task(stack, tenant.headers, again.json()["task_id"])
        assert repeat["result"] == {"restored": 0, "already_present": 30, "indexed": 30}
    assert len(await pg_rows(postgres_url, tenant.id)) == 30


async def test_cleanup_right_after_ingest_takes_everything_acknowledged_before_it(
    stack: Stack, postgres_url: str
) -> None:
    """The settle window is waited out after the request, not cut from the range: a cleanup sent
    right after a backfill archives and deletes all of it (it used to report success with 0 rows)."""
    settled = stack.settings.__class__.__new__(stack.settings.__class__)
    settled.__dict__.update(stack.settings.__dict__)
    settled.worker = stack.settings.worker.model_copy(update={"archive_settle_seconds": 1.5})
    tenant = await create_tenant(stack.client)
    async with running_worker(settled, "archive", "cleanup"):
        ids = await stack.ingest(tenant.headers, events_on([2], 40, "backfill"))
        response = await stack.client.delete("/api/v1/logs/cleanup", params={"before": "now"}, headers=tenant.headers)
        assert response.status_code == 202, response.text
        archive = await wait_task(stack, tenant.headers, response.json()["task_id"])
        assert archive["status"] == "succeeded", archive
        assert archive["result"]["rows_archived"] == 40
        cleanup = await wait_task(stack, tenant.headers, archive["result"]["cleanup_task_id"])
        assert cleanup["status"] == "succeeded", cleanup
        assert cleanup["result"]["deleted_rows"] == 40
    assert await pg_rows(postgres_url, tenant.id) == {}
    assert sorted(r["id"] for r in await archived_rows(stack, tenant.headers)) == sorted(ids)


async def test_failing_s3_leaves_data_and_the_task_says_what_it_waits_for(stack: Stack, postgres_url: str) -> None:
    """An S3 that answers "no such bucket" is an outage of the store (a dev store restarted empty,
    a bucket not yet provisioned), not the task's fault: nothing is deleted, the task stays pending
    and says what it waits for, and it is never marked failed for it (issue 10, finding 2)."""
    tenant = await create_tenant(stack.client)
    await stack.ingest(tenant.headers, events_on([6], 10, "kept"))
    broken = stack.settings.__class__.__new__(stack.settings.__class__)
    broken.__dict__.update(stack.settings.__dict__)
    broken.aws = stack.settings.aws.model_copy(update={"bucket": "no-such-bucket-here"})
    before = datetime.now(UTC) - timedelta(days=5)
    task_id = (
        await stack.client.delete("/api/v1/logs/cleanup", params={"before": before.isoformat()}, headers=tenant.headers)
    ).json()["task_id"]
    task: dict[str, Any] = {}

    async def waiting() -> bool:
        nonlocal task
        task = (await stack.client.get(f"/api/v1/tasks/{task_id}", headers=tenant.headers)).json()
        return "waiting for s3" in (task.get("error_msg") or "")

    async with running_worker(broken, "archive"):
        await until(waiting, within=60, poll=0.2, what="the archive task saying it waits for S3")
    assert task["status"] == "pending"
    assert "NoSuchBucket" in task["error_msg"] or "bucket" in task["error_msg"].lower()
    assert len(await pg_rows(postgres_url, tenant.id)) == 10


async def test_cleanup_needs_the_admin_scope_and_a_past_time(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    key = (
        await stack.client.post(
            "/api/v1/keys", json={"name": "r", "scopes": ["read", "ingest"]}, headers=tenant.headers
        )
    ).json()["api_key"]
    weak = {"Authorization": f"Bearer {key}"}
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    denied = await stack.client.delete("/api/v1/logs/cleanup", params={"before": past}, headers=weak)
    assert denied.status_code == 403
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    refused = await stack.client.delete("/api/v1/logs/cleanup", params={"before": future}, headers=tenant.headers)
    assert refused.status_code == 422
    missing = await stack.client.delete("/api/v1/logs/cleanup", headers=tenant.headers)
    assert missing.status_code == 422


async def test_restore_of_an_archived_range_whose_archive_is_gone_fails_loudly(stack: Stack) -> None:
    """Issue 10, finding 5: an archive store that came back empty must not give a restore that
    "succeeds" with 0 rows while the archived-then-deleted events are gone."""
    import aioboto3

    tenant = await create_tenant(stack.client)
    async with running_worker(stack.settings, "archive", "cleanup"):
        await stack.ingest(tenant.headers, events_on([40], 5, "lost-archive"))
        before = datetime.now(UTC) - timedelta(days=39)
        task_id = (
            await stack.client.delete(
                "/api/v1/logs/cleanup", params={"before": before.isoformat()}, headers=tenant.headers
            )
        ).json()["task_id"]
        archive = await wait_task(stack, tenant.headers, task_id)
        await wait_task(stack, tenant.headers, archive["result"]["cleanup_task_id"])
        async with aioboto3.Session().client("s3", endpoint_url=stack.settings.aws.endpoint_url) as s3:
            await s3.delete_object(Bucket=stack.settings.aws.bucket, Key=archive["result"]["manifest_key"])
        start = datetime.now(UTC) - timedelta(days=41)
        response = await stack.client.post(
            "/api/v1/logs/restore", json={"from": start.isoformat(), "to": before.isoformat()}, headers=tenant.headers
        )
        restore = await wait_task(stack, tenant.headers, response.json()["task_id"])
    assert restore["status"] == "failed", restore
    assert "missing from the archive store" in restore["error_msg"]
