"""Row-level security at the database: the app role sees and writes only the tenant it acts as."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from tests.conftest import TenantHandle
from tests.integration.api.conftest import create_key, plain_url

TABLES = ("logs", "async_task", "api_keys", "log_idempotency")


@pytest.fixture
async def as_app(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(plain_url(postgres_url), server_settings={"role": "logplane_app"})
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def two_tenants_with_data(
    app_client: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> tuple[TenantHandle, TenantHandle]:
    for t in (tenant, other_tenant):
        response = await app_client.post(
            "/api/v1/logs", json={"message": f"secret of {t.name}", "id": "e1"}, headers=t.headers
        )
        assert response.status_code == 201, response.text
        await create_key(app_client, t.api_key, ["read"])
    return tenant, other_tenant


async def _act_as(conn: asyncpg.Connection, tenant_id: str) -> None:
    await conn.execute("SELECT set_config('logplane.tenant_id', $1, false)", tenant_id)


async def test_the_app_role_is_subject_to_rls(as_app: asyncpg.Connection, app_client: httpx.AsyncClient) -> None:
    role = await as_app.fetchrow(
        "SELECT current_user AS who, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert (role["who"], role["rolsuper"], role["rolbypassrls"]) == ("logplane_app", False, False)
    for table in TABLES:
        enabled = await as_app.fetchval("SELECT relrowsecurity FROM pg_class WHERE relname = $1", table)
        assert enabled is True, table
    # And the running app really connects as that role.
    from sqlalchemy import text

    engine = app_client.app.state.container.app_engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "logplane_app"


async def test_acting_as_b_sees_none_of_as_rows(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle]
) -> None:
    a, b = two_tenants_with_data
    await _act_as(as_app, b.id)
    for table in TABLES:
        tenants_seen = {str(r["tenant_id"]) for r in await as_app.fetch(f"SELECT tenant_id FROM {table}")}
        assert tenants_seen == {b.id}, table
        # Not even when asked for by name.
        hidden = await as_app.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", uuid.UUID(a.id))
        assert hidden == 0, table
    messages = [r["message"] for r in await as_app.fetch("SELECT message FROM logs")]
    assert messages == [f"secret of {b.name}"]


async def test_without_a_tenant_setting_nothing_is_visible(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle]
) -> None:
    for table in TABLES:
        assert await as_app.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    await _act_as(as_app, "")  # an emptied setting is the same as none
    for table in TABLES:
        assert await as_app.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_the_transaction_local_setting_does_not_outlive_its_transaction(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle]
) -> None:
    """What the unit of work does (is_local=true): a pooled connection keeps no tenant afterwards."""
    a, _ = two_tenants_with_data
    async with as_app.transaction():
        await as_app.execute("SELECT set_config('logplane.tenant_id', $1, true)", a.id)
        assert await as_app.fetchval("SELECT count(*) FROM logs") == 1
    assert await as_app.fetchval("SELECT count(*) FROM logs") == 0


async def test_inserting_another_tenants_rows_fails(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle]
) -> None:
    a, b = two_tenants_with_data
    await _act_as(as_app, b.id)
    now = datetime.now(UTC)
    statements = [
        (
            "INSERT INTO logs (id, tenant_id, \"timestamp\", severity, message) VALUES ($1, $2, $3, 9, 'planted')",
            (uuid.uuid4(), uuid.UUID(a.id), now),
        ),
        (
            "INSERT INTO async_task (task_id, tenant_id, task_type) VALUES ($1, $2, 'reindex')",
            (uuid.uuid4(), uuid.UUID(a.id)),
        ),
        (
            "INSERT INTO api_keys (id, tenant_id, name, scopes, key_hash) VALUES ($1, $2, 'planted', '{admin}', $3)",
            (uuid.uuid4(), uuid.UUID(a.id), uuid.uuid4().bytes),
        ),
        (
            "INSERT INTO log_idempotency (tenant_id, client_id, log_id, \"timestamp\") VALUES ($1, 'x', $2, $3)",
            (uuid.UUID(a.id), uuid.uuid4(), now),
        ),
    ]
    for sql, args in statements:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="row-level security"):
            await as_app.execute(sql, *args)
    # The same insert for its own tenant goes through: the refusal above was the policy, not the grant.
    await as_app.execute(
        "INSERT INTO async_task (task_id, tenant_id, task_type) VALUES ($1, $2, 'reindex')",
        uuid.uuid4(),
        uuid.UUID(b.id),
    )


async def test_updates_cannot_reach_or_move_rows_across_tenants(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle], db: asyncpg.Connection
) -> None:
    a, b = two_tenants_with_data
    await _act_as(as_app, b.id)
    revoked = await as_app.execute("UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1", uuid.UUID(a.id))
    assert revoked == "UPDATE 0"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NOT NULL", uuid.UUID(a.id)
        )
        == 0
    )
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="row-level security"):
        await as_app.execute("UPDATE async_task SET tenant_id = $1", uuid.UUID(a.id))


async def test_the_app_role_cannot_delete_logs_at_all(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle]
) -> None:
    _, b = two_tenants_with_data
    await _act_as(as_app, b.id)
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await as_app.execute("DELETE FROM logs")


async def test_every_policy_reads_the_tenant_once_per_statement(db: asyncpg.Connection) -> None:
    """Every table under RLS has the one policy, with the setting as a scalar subquery (an InitPlan,
    evaluated once per statement): the bare expression is evaluated for every row checked, which
    cost bulk ingest's `INSERT … SELECT` 0.45 µs an event (migration 0012)."""
    protected = {
        r["relname"]
        for r in await db.fetch(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relnamespace = 'public'::regnamespace"
        )
    }
    policies = await db.fetch(
        "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = 'public'"
    )
    assert {p["tablename"] for p in policies} == protected and set(TABLES) <= protected
    once = "(tenant_id = ( SELECT (NULLIF(current_setting('logplane.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))"
    for p in policies:
        assert (p["policyname"], p["qual"], p["with_check"]) == ("tenant_isolation", once, once), p["tablename"]


async def test_a_tenant_scan_uses_the_setting_as_an_index_condition(
    as_app: asyncpg.Connection, two_tenants_with_data: tuple[TenantHandle, TenantHandle]
) -> None:
    """The subquery's value is a parameter of the scan: the tenant's index still narrows it."""
    _, b = two_tenants_with_data
    await _act_as(as_app, b.id)
    await as_app.execute("SET enable_seqscan = off")  # the fixture's own connection: closed after
    plan = "\n".join(r[0] for r in await as_app.fetch("EXPLAIN (COSTS OFF) SELECT id FROM api_keys"))
    # PostgreSQL 17+ names the InitPlan's value `(InitPlan 1).col1`; 15 and 16 print it as `$0`.
    assert "InitPlan" in plan and re.search(r"Index Cond: \(tenant_id = (\(InitPlan 1\)\.col1|\$0)\)", plan), plan
