"""Foundation: tenants, API keys, time-partitioned logs, idempotency claims, async_task; RLS.

`logs` becomes a TimescaleDB hypertable when the extension can be created, and a natively
range-partitioned table (one partition a day, plus a default partition so an insert can never fail
for want of a partition) otherwise. The app connects as role `logplane_app`, to which row-level
security applies, keyed on the per-transaction setting `logplane.tenant_id`.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import context, op
from sqlalchemy import text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APP_ROLE = "logplane_app"
TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"
TENANT_TABLES = ("api_keys", "logs", "log_idempotency", "async_task")


def _timescaledb_wanted() -> bool:
    mode = context.config.attributes.get("timescaledb", "auto")
    if mode == "off":
        return False
    available = (
        op.get_bind()
        .execute(text("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"))
        .scalar_one()
    )
    return bool(available)


def upgrade() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
          END IF;
        END $$;
        """
    )
    # A non-superuser owner must be a member to SET ROLE; a superuser may anyway.
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
          END IF;
        END $$;
        """
    )
    for statement in (
        """
        CREATE TABLE tenants (
            id uuid PRIMARY KEY,
            name text NOT NULL UNIQUE,
            status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
            retention_days integer NOT NULL CHECK (retention_days > 0),
            limits jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE api_keys (
            id uuid PRIMARY KEY,
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            name text NOT NULL,
            scopes text[] NOT NULL,
            key_hash bytea NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        )
        """,
        """
        CREATE INDEX api_keys_tenant ON api_keys (tenant_id)
        """,
        """
        CREATE TABLE log_idempotency (
            tenant_id uuid NOT NULL,
            client_id text NOT NULL,
            log_id uuid NOT NULL,
            "timestamp" timestamptz NOT NULL,
            request_hash text,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, client_id)
        )
        """,
        """
        CREATE TABLE async_task (
            task_id uuid PRIMARY KEY,
            tenant_id uuid NOT NULL,
            user_id text,
            task_type text NOT NULL
                CHECK (task_type IN ('reindex', 'archive', 'log_cleanup', 'export', 'restore', 'ingest_file')),
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
            payload jsonb NOT NULL DEFAULT '{}'::jsonb,
            result jsonb NOT NULL DEFAULT '{}'::jsonb,
            error_msg text,
            attempts integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz
        )
        """,
        """
        CREATE INDEX async_task_tenant_created ON async_task (tenant_id, created_at DESC)
        """,
        """
        -- The relay scans only what is still pending.
        CREATE INDEX async_task_pending ON async_task (created_at) WHERE status = 'pending'
        """,
    ):
        op.execute(statement)
    logs_columns = """
        id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        "timestamp" timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        severity smallint NOT NULL,
        service text,
        message text NOT NULL,
        host text,
        user_id text,
        action text,
        trace_id text,
        span_id text,
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        client_id text,
        -- Tenant first: every read is one tenant's time range.
        PRIMARY KEY (tenant_id, "timestamp", id)
    """
    logs_indexes = (
        # GET /logs/{id}: ids are UUIDv7 (time-ordered), so this index grows at its right edge only.
        "CREATE INDEX logs_id ON logs (id)",
    )
    if _timescaledb_wanted():
        op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        op.execute(f"CREATE TABLE logs ({logs_columns})")
        op.execute("SELECT create_hypertable('logs', 'timestamp', chunk_time_interval => interval '1 day')")
        for statement in logs_indexes:
            op.execute(statement)
        # Partition management is TimescaleDB's; keep the function so callers need no branch.
        op.execute(
            """
            CREATE FUNCTION logplane_ensure_log_partitions(first_day date, last_day date)
            RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT 0 $$;
            """
        )
    else:
        op.execute(f'CREATE TABLE logs ({logs_columns}) PARTITION BY RANGE ("timestamp")')
        for statement in logs_indexes:
            op.execute(statement)
        op.execute("CREATE TABLE logs_default PARTITION OF logs DEFAULT")
        op.execute(
            """
            -- Creates the missing daily partitions in [first_day, last_day]. Rows of such a day that
            -- reached the default partition are moved into the new partition, so creating a partition
            -- late never fails. SECURITY DEFINER: the app role may not create tables itself.
            CREATE FUNCTION logplane_ensure_log_partitions(first_day date, last_day date)
            RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
            DECLARE
              d date := first_day;
              part text;
              created integer := 0;
            BEGIN
              WHILE d <= last_day LOOP
                part := 'logs_p' || to_char(d, 'YYYYMMDD');
                IF to_regclass(part) IS NULL THEN
                  PERFORM pg_advisory_xact_lock(hashtext('logplane_partition'), hashtext(part));
                  IF to_regclass(part) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I (LIKE logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
                    EXECUTE format(
                      'WITH moved AS (DELETE FROM logs_default WHERE "timestamp" >= %L AND "timestamp" < %L RETURNING *)'
                      ' INSERT INTO %I SELECT * FROM moved', d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC', part);
                    EXECUTE format('ALTER TABLE logs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                                   part, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
                    created := created + 1;
                  END IF;
                END IF;
                d := d + 1;
              END LOOP;
              RETURN created;
            END $$;
            """
        )
        op.execute(
            "SELECT logplane_ensure_log_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 3)"
        )

    # Row-level security: defence in depth behind the use cases' own tenant checks.
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
        )
    op.execute(
        """
        -- Authentication must find a key before any tenant is known: the one cross-tenant read,
        -- by exact hash only, through a definer function rather than a hole in the policy.
        CREATE FUNCTION logplane_find_api_key(p_hash bytea)
        RETURNS TABLE (id uuid, tenant_id uuid, name text, scopes text[], key_hash bytea,
                       created_at timestamptz, revoked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT id, tenant_id, name, scopes, key_hash, created_at, revoked_at
          FROM api_keys WHERE key_hash = p_hash
        $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON tenants TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON api_keys, async_task TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON logs, log_idempotency TO {APP_ROLE}")
    op.execute(f"GRANT EXECUTE ON FUNCTION logplane_find_api_key(bytea) TO {APP_ROLE}")
    op.execute(f"GRANT EXECUTE ON FUNCTION logplane_ensure_log_partitions(date, date) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS logplane_find_api_key(bytea)")
    op.execute("DROP FUNCTION IF EXISTS logplane_ensure_log_partitions(date, date)")
    op.execute("DROP TABLE IF EXISTS logs CASCADE")
    op.execute("DROP TABLE IF EXISTS log_idempotency, async_task, api_keys, tenants CASCADE")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
