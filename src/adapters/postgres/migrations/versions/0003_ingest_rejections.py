"""Per-tenant tallies of refused events (per route and reason).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ingest_rejections (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            route text NOT NULL,
            reason text NOT NULL,
            count bigint NOT NULL,
            sample text NOT NULL,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, route, reason)
        )
        """
    )
    op.execute("ALTER TABLE ingest_rejections ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON ingest_rejections "
        f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
    )
    op.execute("GRANT SELECT, INSERT, UPDATE ON ingest_rejections TO logplane_app")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS ingest_rejections")
