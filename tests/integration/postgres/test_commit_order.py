"""Commit order in PostgreSQL (issue 10, finding 4): what a resuming live stream replays from.

Ids are drawn before commit, so a transaction holding a lower id can commit after a higher id was
streamed. These run the real transactions against PostgreSQL, in the interleavings that matter.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.ingest_janitor import PostgresIngestJanitor
from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.domain.commit_order import CommitPosition, CommitSpan
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.severity import Severity
from tests.conftest import TenantHandle
from tests.polling import eventually


@pytest.fixture
def engines(app_engine: AsyncEngine, owner_engine: AsyncEngine) -> tuple[AsyncEngine, AsyncEngine]:
    return app_engine, owner_engine


def _event(tenant_id: UUID, message: str) -> LogEvent:
    now = datetime.now(UTC)
    return LogEvent(
        id=new_id(),
        tenant_id=tenant_id,
        timestamp=now,
        received_at=now,
        message=message,
        severity=Severity.INFO,
        service="commit-order",
        host=None,
        user_id=None,
        action=None,
        trace_id=None,
        span_id=None,
        attributes={},
    )


async def _after(uows: PostgresUnitOfWorkFactory, tenant: UUID, since: UUID) -> list[str]:
    async with uows() as uow:
        await uow.act_as_tenant(tenant)
        position = await uow.commit_order.position(tenant_id=tenant, log_id=since)
        assert position is not None
        page = await uow.commit_order.events_after(tenant_id=tenant, after=position, limit=100)
    return [e.message for e in page.events]


async def test_a_lower_id_committed_later_comes_after_in_commit_order(
    engines: tuple[AsyncEngine, AsyncEngine], tenant: TenantHandle
) -> None:
    uows, me = PostgresUnitOfWorkFactory(engines[0]), UUID(tenant.id)
    slow, fast = _event(me, "slow commit, lower id"), _event(me, "fast commit, higher id")
    assert slow.id < fast.id
    async with uows() as slow_uow:
        await slow_uow.act_as_tenant(me)
        await slow_uow.logs.add_many(events=[slow])
        async with uows() as fast_uow:  # overtakes: written, ordered and committed while slow is open
            await fast_uow.act_as_tenant(me)
            await fast_uow.logs.add_many(events=[fast])
            await fast_uow.commit_order.record(tenant_id=me, log_ids=[fast.id])
            await fast_uow.commit()
        await slow_uow.commit_order.record(tenant_id=me, log_ids=[slow.id])
        await slow_uow.commit()
    assert await _after(uows, me, fast.id) == ["slow commit, lower id"]
    assert await _after(uows, me, slow.id) == []


async def test_a_tenants_writers_take_their_place_one_commit_at_a_time(
    engines: tuple[AsyncEngine, AsyncEngine], tenant: TenantHandle
) -> None:
    """The second writer's place is drawn only once the first committed: seq order is commit order."""
    uows, me = PostgresUnitOfWorkFactory(engines[0]), UUID(tenant.id)
    first, second = _event(me, "first"), _event(me, "second")

    async def write_second() -> None:
        async with uows() as uow:
            await uow.act_as_tenant(me)
            await uow.logs.add_many(events=[second])
            await uow.commit_order.record(tenant_id=me, log_ids=[second.id])
            await uow.commit()

    async with uows() as uow:
        await uow.act_as_tenant(me)
        await uow.logs.add_many(events=[first])
        await uow.commit_order.record(tenant_id=me, log_ids=[first.id])
        writer = asyncio.create_task(write_second())

        async def second_waits_for_the_lock() -> bool:
            async with engines[1].connect() as conn:
                waiting = await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                        "AND classid = hashtext('logplane_commit_order')::oid"
                    )
                )
                return bool(waiting.scalar_one())

        await eventually(second_waits_for_the_lock, within=30, what="the second writer waits for the first's commit")
        assert not writer.done()
        await uow.commit()
    await writer
    async with uows() as uow:
        await uow.act_as_tenant(me)
        one = await uow.commit_order.position(tenant_id=me, log_id=first.id)
        two = await uow.commit_order.position(tenant_id=me, log_id=second.id)
    assert one is not None and two is not None and one.seq < two.seq


async def test_ingest_records_commit_order_in_publication_order_and_tenants_see_only_theirs(
    engines: tuple[AsyncEngine, AsyncEngine],
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    uows, me = PostgresUnitOfWorkFactory(engines[0]), UUID(tenant.id)
    ids: list[str] = []
    for batch in range(3):
        response = await app_client.post(
            "/api/v1/logs/bulk", json=[{"message": f"m{batch}-{i}"} for i in range(4)], headers=tenant.headers
        )
        assert response.status_code == 201, response.text
        ids += [item["id"] for item in response.json()["items"]]
    assert await _after(uows, me, UUID(ids[1])) == ["m0-2", "m0-3"] + [f"m{b}-{i}" for b in (1, 2) for i in range(4)]
    # Paging: the position after a page continues exactly where it stopped.
    async with uows() as uow:
        await uow.act_as_tenant(me)
        start = await uow.commit_order.position(tenant_id=me, log_id=UUID(ids[0]))
        assert start is not None
        page = await uow.commit_order.events_after(tenant_id=me, after=start, limit=5)
        assert page.last is not None
        rest = await uow.commit_order.events_after(tenant_id=me, after=page.last, limit=100)
    assert [e.message for e in page.events + rest.events][:11] == [f"m{b}-{i}" for b in range(3) for i in range(4)][1:]
    # The other tenant finds neither the position nor the events.
    other = UUID(other_tenant.id)
    async with uows() as uow:
        await uow.act_as_tenant(other)
        assert await uow.commit_order.position(tenant_id=other, log_id=UUID(ids[0])) is None
        assert await uow.commit_order.position(tenant_id=me, log_id=UUID(ids[0])) is None
        page = await uow.commit_order.events_after(tenant_id=me, after=CommitPosition(seq=0, index=0), limit=100)
        assert page.events == []


async def test_a_commits_span_finds_its_ids_for_its_tenant_only(
    engines: tuple[AsyncEngine, AsyncEngine],
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    """What the index worker reads for a reindex task: the ids of the commit its span names."""
    uows, me, other = PostgresUnitOfWorkFactory(engines[0]), UUID(tenant.id), UUID(other_tenant.id)
    batches: list[list[UUID]] = []
    times: list[datetime] = []
    for batch in range(2):
        response = await app_client.post(
            "/api/v1/logs/bulk", json=[{"message": f"s{batch}-{i}"} for i in range(3)], headers=tenant.headers
        )
        assert response.status_code == 201, response.text
        batches.append([UUID(item["id"]) for item in response.json()["items"]])
        times += [datetime.fromisoformat(item["timestamp"]) for item in response.json()["items"]]
    async with uows() as uow:
        await uow.act_as_tenant(me)
        for ids in batches:
            assert await uow.commit_order.log_ids(tenant_id=me, span=CommitSpan.of(ids)) == ids
        # Once the entry is gone, the index worker reads the span's ids within the time range: the
        # second batch shares the range (its times come after the first's) but not the ids.
        first = CommitSpan.of(batches[0])
        span_read = await uow.reader.in_id_span(
            tenant_id=me, lowest=first.lowest, highest=first.highest, start=min(times), end=max(times)
        )
        assert sorted(e.id for e in span_read) == sorted(batches[0])
        # A span that names no commit: two commits' ends, or an unknown id.
        crossed = CommitSpan(batches[0][0], batches[1][-1])
        assert await uow.commit_order.log_ids(tenant_id=me, span=crossed) is None
        assert await uow.commit_order.log_ids(tenant_id=me, span=CommitSpan(new_id(), new_id())) is None
    async with uows() as uow:
        await uow.act_as_tenant(other)
        for tenant_id in (me, other):
            assert await uow.commit_order.log_ids(tenant_id=tenant_id, span=CommitSpan.of(batches[0])) is None
            found = await uow.reader.in_id_span(
                tenant_id=tenant_id, lowest=first.lowest, highest=first.highest, start=min(times), end=max(times)
            )
            assert found == []


async def test_a_commits_ids_are_stored_uncompressed(
    engines: tuple[AsyncEngine, AsyncEngine], app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """Migration 0014: pglz cost ingest 0.2 µs an event for rows kept a day."""
    response = await app_client.post(
        "/api/v1/logs/bulk", json=[{"message": f"c{i}"} for i in range(1000)], headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    async with engines[1].connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT pg_column_compression(log_ids) AS method, pg_column_size(log_ids) AS size FROM log_commits "
                    "WHERE tenant_id = :t AND cardinality(log_ids) = 1000"
                ),
                {"t": UUID(tenant.id)},
            )
        ).one()
    # Out of line (its size is the array's: 16 bytes an id) and not compressed.
    assert row.method is None and row.size >= 16_000


async def test_the_janitor_drops_commit_order_older_than_asked(
    engines: tuple[AsyncEngine, AsyncEngine], app_client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    response = await app_client.post("/api/v1/logs/bulk", json=[{"message": "kept"}], headers=tenant.headers)
    assert response.status_code == 201, response.text
    janitor = PostgresIngestJanitor(engines[1])
    await janitor.expire_commit_order(older_than=datetime(2000, 1, 1, tzinfo=UTC))
    async with engines[1].connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM log_commits"))).scalar_one()
    assert before >= 1
    assert await janitor.expire_commit_order(older_than=datetime.now(UTC)) >= 1
    async with engines[1].connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM log_commits"))).scalar_one() == 0
