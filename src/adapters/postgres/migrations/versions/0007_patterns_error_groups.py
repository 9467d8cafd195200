"""Log analytics: mined patterns, their per-minute counts, error groups, and `logs.pattern_id`.

- `patterns`: one row per pattern id a tenant's service was ever mined into. `merged_into` is set
  when a merge folded the pattern into another (the survivor lists it in `aliases`); events stored
  under the old id keep it, and reads expand a pattern to itself plus its aliases.
- `pattern_miners`: per (tenant, service) a revision bumped by every mining transaction, so a
  worker whose in-memory miner is behind the table (another worker mined meanwhile) reloads it.
- `pattern_counts`: events per (tenant, pattern, UTC minute) with how many were ERROR or worse —
  the series anomaly detection and sparklines read.
- `error_groups`: fingerprinted errors per (tenant, service) with status open/resolved/ignored.

All tables are tenant-scoped by row-level security like the others (0001, 0005). The app role may
update `logs.pattern_id` and nothing else of a stored event.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"
TABLES = ("patterns", "pattern_miners", "pattern_counts", "error_groups")


def upgrade() -> None:
    # Nullable, no default: adding it rewrites nothing, on native partitions and hypertables alike.
    op.execute("ALTER TABLE logs ADD COLUMN pattern_id text")
    op.execute("GRANT UPDATE (pattern_id) ON logs TO logplane_app")
    for statement in (
        """
        CREATE TABLE patterns (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id text NOT NULL,
            service text NOT NULL,
            template text NOT NULL,
            -- The miner's own count (merged patterns' counts included): it decides when a pattern settles.
            mined_count bigint NOT NULL DEFAULT 0,
            aliases text[] NOT NULL DEFAULT '{}',
            merged_into text,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            sample_event_ids uuid[] NOT NULL DEFAULT '{}',
            -- When a worker first mined it (server time): what "new pattern" alerts compare.
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id)
        )
        """,
        "CREATE INDEX patterns_service ON patterns (tenant_id, service, last_seen)",
        "CREATE INDEX patterns_created ON patterns (tenant_id, created_at)",
        "CREATE INDEX patterns_merged ON patterns (tenant_id, merged_into) WHERE merged_into IS NOT NULL",
        """
        CREATE TABLE pattern_miners (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            service text NOT NULL,
            revision bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, service)
        )
        """,
        """
        CREATE TABLE pattern_counts (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            pattern_id text NOT NULL,
            service text NOT NULL,
            minute timestamptz NOT NULL,
            total bigint NOT NULL,
            errors bigint NOT NULL,
            PRIMARY KEY (tenant_id, pattern_id, minute)
        )
        """,
        "CREATE INDEX pattern_counts_minute ON pattern_counts (tenant_id, minute)",
        """
        CREATE TABLE error_groups (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id text NOT NULL,
            service text NOT NULL,
            fingerprint text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('exception', 'pattern')),
            exception_type text,
            title text NOT NULL,
            frames text[] NOT NULL DEFAULT '{}',
            pattern_id text,
            count bigint NOT NULL DEFAULT 0,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            hosts text[] NOT NULL DEFAULT '{}',
            sample_event_ids uuid[] NOT NULL DEFAULT '{}',
            status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'ignored')),
            status_changed_at timestamptz NOT NULL DEFAULT now(),
            resolved_at timestamptz,
            reopened_count integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id)
        )
        """,
        "CREATE INDEX error_groups_seen ON error_groups (tenant_id, last_seen)",
        "CREATE INDEX error_groups_created ON error_groups (tenant_id, created_at)",
    ):
        op.execute(statement)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO logplane_app")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS error_groups, pattern_counts, pattern_miners, patterns")
    op.execute("REVOKE UPDATE (pattern_id) ON logs FROM logplane_app")
    op.execute("ALTER TABLE logs DROP COLUMN IF EXISTS pattern_id")
