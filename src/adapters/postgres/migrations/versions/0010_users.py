"""Human users per tenant, their login sessions and the audit log, isolated by row-level security.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TENANT_SETTING = "NULLIF(current_setting('logplane.tenant_id', true), '')::uuid"
TABLES = ("users", "user_sessions", "audit_log")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE users (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id uuid NOT NULL,
            email text NOT NULL,
            role text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
            password_hash text,
            disabled boolean NOT NULL DEFAULT false,
            failed_attempts integer NOT NULL DEFAULT 0,
            locked_until timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            UNIQUE (tenant_id, email)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE user_sessions (
            tenant_id uuid NOT NULL,
            id uuid NOT NULL,
            user_id uuid NOT NULL,
            token_hash bytea NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz,
            PRIMARY KEY (tenant_id, id),
            FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX user_sessions_user ON user_sessions (tenant_id, user_id)")
    op.execute(
        """
        CREATE TABLE audit_log (
            tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            id uuid NOT NULL,
            at timestamptz NOT NULL,
            actor text NOT NULL,
            action text NOT NULL,
            target text,
            details jsonb NOT NULL DEFAULT '{}'::jsonb,
            PRIMARY KEY (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX audit_log_at ON audit_log (tenant_id, at DESC)")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {TENANT_SETTING}) WITH CHECK (tenant_id = {TENANT_SETTING})"
        )
    op.execute(
        """
        -- A session cookie arrives before any tenant is known: like API keys, found by exact hash
        -- only, through a definer function rather than a hole in the policy.
        CREATE FUNCTION logplane_find_session(p_hash bytea)
        RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid, token_hash bytea, created_at timestamptz,
                       expires_at timestamptz, revoked_at timestamptz, email text, role text,
                       password_hash text, disabled boolean, failed_attempts integer,
                       locked_until timestamptz, user_created_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT s.id, s.tenant_id, s.user_id, s.token_hash, s.created_at, s.expires_at, s.revoked_at,
                 u.email, u.role, u.password_hash, u.disabled, u.failed_attempts, u.locked_until,
                 u.created_at
          FROM user_sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
          WHERE s.token_hash = p_hash
        $$;
        """
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON users, user_sessions TO logplane_app")
    # Append-only for the application: an entry cannot be edited or removed through the API.
    op.execute("GRANT SELECT, INSERT ON audit_log TO logplane_app")
    op.execute("GRANT EXECUTE ON FUNCTION logplane_find_session(bytea) TO logplane_app")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS logplane_find_session(bytea)")
    op.execute("DROP TABLE IF EXISTS audit_log, user_sessions, users CASCADE")
