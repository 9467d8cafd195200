"""Per-tenant archive format (NULL: the platform default).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE tenants ADD COLUMN archive_format text "
        "CHECK (archive_format IN ('parquet', 'ndjson.zst', 'ndjson.gz'))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE tenants DROP COLUMN archive_format")
