"""Commit order of each tenant's events, so a resuming live stream replays what committed after it.

One row per group commit (its ids in publication order), numbered by an identity drawn under a
per-tenant lock held until commit: number order is commit order (see commit_order_repository.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"


def upgrade() -> None:
    # No foreign key to tenants: it would cost a lookup on every group commit (tenants are never
    # deleted while they ingest; the janitor drops old rows).
    op.execute(
        """
        CREATE TABLE log_commits (
            tenant_id uuid NOT NULL,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            min_id uuid NOT NULL,
            max_id uuid NOT NULL,
            log_ids uuid[] NOT NULL,
            committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (tenant_id, seq)
        )
        """
    )
    # Finding the group that holds a resuming stream's last id.
    op.execute("CREATE INDEX log_commits_max_id ON log_commits (tenant_id, max_id)")
    # Expiry by age: rows arrive in time order, so a BRIN index is enough and costs next to nothing.
    op.execute("CREATE INDEX log_commits_committed_at ON log_commits USING brin (committed_at)")
    op.execute("ALTER TABLE log_commits ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON log_commits "
        f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
    )
    op.execute("GRANT SELECT, INSERT ON log_commits TO logplane_app")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS log_commits")
