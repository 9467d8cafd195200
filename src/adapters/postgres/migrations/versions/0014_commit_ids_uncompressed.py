"""The commit order's id lists are stored out of line without compression.

Each group commit writes one `log_commits` row per tenant whose `log_ids` holds every id it stored
(80 KB for 5,000 events). PostgreSQL compressed that with pglz before moving it out of line: 0.2 µs
of CPU an event, a share of bulk ingest's budget, to halve rows the maintenance worker drops after a
day (16 rather than 7.4 bytes an event; the logs take ~490). `EXTERNAL` keeps them out of line and
uncompressed (docs/benchmarks.md, "Ninth pass"). Only new rows are affected; nothing is rewritten.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SET STORAGE takes an ACCESS EXCLUSIVE lock, for an instant; while it waits for one, every
    # ingest commit (each writes a row here) would queue behind it. So it gives up after 5 s rather
    # than stall ingest behind a long reader: rerun the migration then. (LOCAL: each migration runs
    # in its own transaction.)
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("ALTER TABLE log_commits ALTER COLUMN log_ids SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("ALTER TABLE log_commits ALTER COLUMN log_ids SET STORAGE EXTENDED")
