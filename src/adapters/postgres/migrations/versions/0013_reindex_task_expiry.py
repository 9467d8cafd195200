"""Finished reindex tasks, found by when they finished: the maintenance worker expires them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Partial: only the rows the janitor deletes, so the index stays as small as what is due.
    op.execute(
        "CREATE INDEX async_task_succeeded_reindex ON async_task (finished_at) "
        "WHERE task_type = 'reindex' AND status = 'succeeded'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS async_task_succeeded_reindex")
