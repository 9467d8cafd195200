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
    # Concurrently, outside the migration's transaction: a plain build locks `async_task` against
    # writes until it ends, and every ingest commit writes its reindex task there; on a table that
    # has grown with every commit so far, that would stall ingest for the whole build.
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS async_task_succeeded_reindex ON async_task (finished_at) "
            "WHERE task_type = 'reindex' AND status = 'succeeded'"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS async_task_succeeded_reindex")
