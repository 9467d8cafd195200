"""Tasks remember when their message was published, so the relay republishes lost ones within seconds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE async_task ADD COLUMN published_at timestamptz")
    # Rows from before this column: anything a worker already received was published; never-started
    # pending rows stay NULL so the relay announces them once more (a duplicate message is harmless).
    op.execute("UPDATE async_task SET published_at = updated_at WHERE status <> 'pending' OR attempts > 0")
    op.execute(
        "CREATE INDEX async_task_unpublished ON async_task (created_at) "
        "WHERE status = 'pending' AND published_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS async_task_unpublished")
    op.execute("ALTER TABLE async_task DROP COLUMN published_at")
