"""Ingest's write path: binary COPY into the session's staging table, then INSERT … SELECT under RLS."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from src.adapters.postgres.engine import make_app_engine
from src.adapters.postgres.log_repository import STAGING_COLUMNS, STAGING_TABLE
from src.adapters.postgres.unit_of_work import PostgresUnitOfWork
from src.domain.ids import new_ids
from src.domain.logs import LogEvent
from src.domain.severity import Severity


def _event(tenant_id: uuid.UUID, log_id: uuid.UUID, message: str) -> LogEvent:
    now = datetime.now(UTC)
    return LogEvent(
        id=log_id,
        tenant_id=tenant_id,
        timestamp=now,
        received_at=now,
        message=message,
        severity=Severity.WARN,
        service="billing",
        host=None,
        user_id="u1",
        action=None,
        trace_id="t" * 32,
        span_id=None,
        attributes={"order": {"id": 7, "tags": ["a", "b"]}, "ratio": 0.5},
        client_id=f"id:{message}",
    )


async def test_staged_write_lands_under_rls_and_other_tenants_see_nothing(postgres_url: str) -> None:
    engine = make_app_engine(postgres_url, pool_size=1, max_overflow=0)
    mine, other = uuid.uuid4(), uuid.uuid4()
    try:
        ids = new_ids(3)
        assert ids == sorted(ids) and len(set(ids)) == 3  # time-ordered within a batch
        async with PostgresUnitOfWork(engine) as uow:
            await uow.act_as_tenant(mine)
            await uow.logs.add_many(events=[_event(mine, i, f"m{n}") for n, i in enumerate(ids)])
            await uow.commit()
        async with engine.connect() as conn:
            assert conn.info.get(STAGING_TABLE)  # made by the connect hook: the COPY path was taken
            # The commit emptied the staging table: nothing is carried into the next transaction.
            assert (await conn.execute(text(f"SELECT count(*) FROM {STAGING_TABLE}"))).scalar_one() == 0
        async with PostgresUnitOfWork(engine) as uow:
            await uow.act_as_tenant(mine)
            stored = await uow.logs.get(tenant_id=mine, log_id=ids[1])
            assert stored is not None
            assert stored.message == "m1" and stored.severity is Severity.WARN and stored.service == "billing"
            assert stored.attributes == {"order": {"id": 7, "tags": ["a", "b"]}, "ratio": 0.5}
            assert stored.client_id == "id:m1" and stored.trace_id == "t" * 32 and stored.host is None
            assert await uow.logs.count(tenant_id=mine) == 3
        async with PostgresUnitOfWork(engine) as uow:
            await uow.act_as_tenant(other)
            assert await uow.logs.count(tenant_id=mine) == 0
            assert await uow.logs.get(tenant_id=mine, log_id=ids[0]) is None
    finally:
        await engine.dispose()


@pytest.mark.parametrize("with_own", [False, True], ids=["stranger-only", "mixed"])
async def test_rls_refuses_staged_rows_of_another_tenant(postgres_url: str, with_own: bool) -> None:
    """The staging table has no policy of its own: the INSERT into `logs` is where RLS checks. Events
    of two tenants in one call take the per-row path, where RLS refuses the stranger and the call."""
    engine = make_app_engine(postgres_url, pool_size=1, max_overflow=0)
    mine, other = uuid.uuid4(), uuid.uuid4()
    events = [_event(mine, new_ids(1)[0], "mine")] if with_own else []
    events.append(_event(other, new_ids(1)[0], "smuggled"))
    try:
        with pytest.raises(Exception, match="row-level security"):
            async with PostgresUnitOfWork(engine) as uow:
                await uow.act_as_tenant(mine)
                await uow.logs.add_many(events=events)
        for tenant in (mine, other):
            async with PostgresUnitOfWork(engine) as uow:
                await uow.act_as_tenant(tenant)
                assert await uow.logs.count(tenant_id=tenant) == 0
    finally:
        await engine.dispose()


async def test_each_event_keeps_its_own_times_exactly(postgres_url: str) -> None:
    """A group commit holds requests received at different times: each row keeps its own. The staging
    table holds UTC wall clock: an instant survives whatever offset it came in, before 2000 too."""
    engine = make_app_engine(postgres_url, pool_size=1, max_overflow=0)
    tenant = uuid.uuid4()
    first, second = datetime.now(UTC) - timedelta(seconds=3), datetime.now(UTC) - timedelta(seconds=1)
    same_as_first = first + timedelta(0)  # equal, another object
    received = [first, second, first, same_as_first, second]
    happened = [
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.now(timezone(timedelta(hours=5, minutes=30))).replace(microsecond=123457),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime.now(timezone(timedelta(hours=-9))),
        first,
    ]
    try:
        events = [
            replace(_event(tenant, log_id, f"r{n}"), timestamp=at, received_at=got)
            for n, (log_id, at, got) in enumerate(zip(new_ids(len(received)), happened, received, strict=True))
        ]
        async with PostgresUnitOfWork(engine) as uow:
            await uow.act_as_tenant(tenant)
            await uow.logs.add_many(events=events)
            await uow.commit()
        async with PostgresUnitOfWork(engine) as uow:
            await uow.act_as_tenant(tenant)
            for event in events:
                stored = await uow.logs.get(tenant_id=tenant, log_id=event.id)
                assert stored is not None, event.message
                assert stored.timestamp == event.timestamp and stored.received_at == event.received_at, event.message
    finally:
        await engine.dispose()


async def test_tenants_written_one_after_another_in_one_transaction_keep_their_own_rows(postgres_url: str) -> None:
    """A group commit stages tenant after tenant before one commit: no tenant's rows are written twice
    or under the next tenant (the staging table is emptied by the commit only)."""
    engine = make_app_engine(postgres_url, pool_size=1, max_overflow=0)
    first, second = uuid.uuid4(), uuid.uuid4()
    try:
        async with PostgresUnitOfWork(engine) as uow:
            await uow.act_as_tenant(first)
            await uow.logs.add_many(events=[_event(first, i, f"first{n}") for n, i in enumerate(new_ids(3))])
            await uow.act_as_tenant(second)
            await uow.logs.add_many(events=[_event(second, i, f"second{n}") for n, i in enumerate(new_ids(2))])
            await uow.commit()
        for tenant, expected in ((first, 3), (second, 2)):
            async with PostgresUnitOfWork(engine) as uow:
                await uow.act_as_tenant(tenant)
                assert await uow.logs.count(tenant_id=tenant) == expected
    finally:
        await engine.dispose()


_COLUMNS = text(
    "SELECT attname, format_type(atttypid, atttypmod), attnotnull, atthasdef FROM pg_attribute "
    "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
)


async def test_the_staging_table_keeps_step_with_logs(postgres_url: str) -> None:
    """The staging table is written out, not made LIKE `logs`: a migration that changes a column of
    `logs` (or adds one that must be given) fails here rather than in production's INSERT."""
    engine = make_app_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            logs = {r[0]: r[1:] for r in await conn.execute(_COLUMNS, {"table": "logs"})}
            staged = {r[0]: r[1] for r in await conn.execute(_COLUMNS, {"table": STAGING_TABLE})}
    finally:
        await engine.dispose()
    assert tuple(staged) == STAGING_COLUMNS
    # Chosen differences (see STAGING_DDL): UTC wall clock for times, text for the attributes.
    chosen = {"timestamp with time zone": "timestamp without time zone", "jsonb": "text"}
    for name, kind in staged.items():
        assert kind == chosen.get(logs[name][0], logs[name][0]), name
    for name, (_, not_null, has_default) in logs.items():
        if name not in staged and name != "tenant_id":  # the tenant is the INSERT's parameter
            assert not not_null or has_default, f"logs.{name} must be given but is not staged"
