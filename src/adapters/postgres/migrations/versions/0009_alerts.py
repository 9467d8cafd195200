"""Alerting per tenant: rules (with their evaluation state), channels (secrets encrypted), silences,
the alert history and the delivery log of its notifications; isolated by row-level security.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"
TABLES = ("alert_deliveries", "alert_history", "alert_silences", "alert_rules", "alert_channels")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE alert_channels (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id uuid NOT NULL,
            name text NOT NULL,
            type text NOT NULL CHECK (type IN ('webhook', 'slack', 'email')),
            config jsonb NOT NULL DEFAULT '{}'::jsonb,
            secret bytea,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            UNIQUE (tenant_id, name)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE alert_rules (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id uuid NOT NULL,
            name text NOT NULL,
            query text NOT NULL DEFAULT '',
            kind text NOT NULL,
            comparator text NOT NULL,
            threshold double precision NOT NULL,
            window_seconds integer NOT NULL,
            service text,
            channel_ids uuid[] NOT NULL DEFAULT '{}',
            cooldown_seconds integer NOT NULL DEFAULT 0,
            enabled boolean NOT NULL DEFAULT true,
            state text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'firing', 'resolved')),
            state_since timestamptz,
            last_value double precision,
            evaluated_at timestamptz,
            notified_at timestamptz,
            open_alert_id uuid,
            open_notified boolean NOT NULL DEFAULT false,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            UNIQUE (tenant_id, name)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE alert_silences (
            tenant_id uuid NOT NULL,
            id uuid NOT NULL,
            rule_id uuid NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            comment text NOT NULL DEFAULT '',
            created_by text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, rule_id) REFERENCES alert_rules (tenant_id, id) ON DELETE CASCADE,
            CHECK (ends_at > starts_at)
        )
        """
    )
    op.execute("CREATE INDEX alert_silences_rule ON alert_silences (tenant_id, rule_id, ends_at)")
    # The history outlives its rule (no foreign key): an alert names the rule it came from.
    op.execute(
        """
        CREATE TABLE alert_history (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id uuid NOT NULL,
            rule_id uuid NOT NULL,
            rule_name text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('firing', 'resolved')),
            condition text NOT NULL,
            query text NOT NULL,
            value double precision NOT NULL,
            at timestamptz NOT NULL,
            notice text NOT NULL,
            firing_id uuid,
            PRIMARY KEY (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX alert_history_by_time ON alert_history (tenant_id, at DESC, id DESC)")
    op.execute("CREATE INDEX alert_history_by_rule ON alert_history (tenant_id, rule_id, at DESC)")
    op.execute(
        """
        CREATE TABLE alert_deliveries (
            tenant_id uuid NOT NULL,
            id uuid NOT NULL,
            alert_id uuid NOT NULL,
            channel_id uuid NOT NULL,
            channel_name text NOT NULL,
            channel_type text NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz,
            last_error text,
            log jsonb NOT NULL DEFAULT '[]'::jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, alert_id) REFERENCES alert_history (tenant_id, id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX alert_deliveries_alert ON alert_deliveries (tenant_id, alert_id)")
    op.execute(
        "CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at, tenant_id) WHERE status = 'pending'"
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO logplane_app")
    # The evaluator and the deliverer need to know which tenants have work without seeing any row of
    # theirs: these answer tenant ids only, past row-level security (SECURITY DEFINER).
    op.execute(
        """
        CREATE FUNCTION alert_tenants_with_rules() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
            SELECT DISTINCT r.tenant_id FROM alert_rules r JOIN tenants t ON t.id = r.tenant_id
            WHERE r.enabled AND t.status = 'active'
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION alert_tenants_with_due_deliveries(due timestamptz) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
            SELECT DISTINCT tenant_id FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= due
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION alert_tenants_with_rules() FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION alert_tenants_with_due_deliveries(timestamptz) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION alert_tenants_with_rules() TO logplane_app")
    op.execute("GRANT EXECUTE ON FUNCTION alert_tenants_with_due_deliveries(timestamptz) TO logplane_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS alert_tenants_with_due_deliveries(timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS alert_tenants_with_rules()")
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
