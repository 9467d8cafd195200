"""Row-level security: the acting tenant read once per statement, not once per row.

Every tenant table's `tenant_isolation` policy compared `tenant_id` with
`NULLIF(current_setting('logplane.tenant_id', true), '')::uuid`. That expression is stable, not
constant, so PostgreSQL evaluated it for every row a statement checked: a setting lookup and a text
to uuid parse per row. Bulk ingest's `INSERT … SELECT` checks every row it writes (WITH CHECK), and
that cost 0.45 µs an event of PostgreSQL's ~7 (docs/benchmarks.md, "Eighth pass"). As a scalar
subquery it is an InitPlan: evaluated once per statement, the rows compared with its value, and an
index condition as before. The setting is transaction-local and fixed during a statement, so the
rows allowed are the same. (Supabase's linter flags the per-row form for the same reason:
"auth_rls_initplan".)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PER_ROW = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"
ONCE = f"(SELECT {PER_ROW})"


def _rewrite(setting: str) -> None:
    # Every policy of that name, whichever migration made it: one form for all tenant tables.
    op.execute(
        f"""
        DO $$
        DECLARE t regclass;
        BEGIN
          FOR t IN SELECT format('%I.%I', schemaname, tablename)::regclass FROM pg_policies
                   WHERE policyname = 'tenant_isolation' AND schemaname = current_schema()
          LOOP
            EXECUTE format('ALTER POLICY tenant_isolation ON %s USING (tenant_id = %s) WITH CHECK (tenant_id = %s)',
                           t, $s${setting}$s$, $s${setting}$s$);
          END LOOP;
        END $$;
        """
    )


def upgrade() -> None:
    _rewrite(ONCE)


def downgrade() -> None:
    _rewrite(PER_ROW)
