"""Tenant-defined regex parsers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tenant_parsers (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            name text NOT NULL,
            pattern text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, name)
        )
        """
    )
    op.execute("ALTER TABLE tenant_parsers ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON tenant_parsers "
        f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_parsers TO logplane_app")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS tenant_parsers")
