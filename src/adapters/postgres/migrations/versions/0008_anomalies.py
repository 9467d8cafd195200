"""Anomaly detection: per-window features, anomalies and the per-tenant watermark; RLS.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"
TABLES = ("anomaly_windows", "anomalies", "anomaly_watermarks")
TASK_TYPES = ("reindex", "archive", "log_cleanup", "export", "restore", "ingest_file")


def _task_types(types: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{t}'" for t in types)
    op.execute("ALTER TABLE async_task DROP CONSTRAINT IF EXISTS async_task_task_type_check")
    op.execute(f"ALTER TABLE async_task ADD CONSTRAINT async_task_task_type_check CHECK (task_type IN ({listed}))")


def upgrade() -> None:
    op.execute(
        """
        -- Every scored window's features: the history that baselines are computed from.
        CREATE TABLE anomaly_windows (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            service text NOT NULL,
            window_start timestamptz NOT NULL,
            features jsonb NOT NULL,
            PRIMARY KEY (tenant_id, window_start, service)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE anomalies (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            service text NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            score double precision NOT NULL,
            baseline_score double precision NOT NULL,
            model_score double precision NOT NULL,
            features jsonb NOT NULL,
            drivers jsonb NOT NULL,
            sentence text NOT NULL,
            run_id uuid,
            detected_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, window_start, service)
        )
        """
    )
    op.execute("CREATE INDEX anomalies_tenant_service ON anomalies (tenant_id, service, window_start DESC)")
    op.execute(
        """
        CREATE TABLE anomaly_watermarks (
            tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
            processed_until timestamptz NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO logplane_app")
    _task_types((*TASK_TYPES, "anomaly_detection"))


def downgrade() -> None:
    op.execute("DELETE FROM async_task WHERE task_type = 'anomaly_detection'")
    _task_types(TASK_TYPES)
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE IF EXISTS {table}")
