"""Login sessions in PostgreSQL; only the hash of a session's secret is stored."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.adapters.postgres.user_repository import user_from_row
from src.domain.ports.user_session_repository import UserSessionRepository
from src.domain.users import ActiveSession, UserSession


class PostgresUserSessionRepository(UserSessionRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, session: UserSession) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO user_sessions (tenant_id, id, user_id, token_hash, expires_at) "
                "VALUES (:t, :id, :user_id, :token_hash, :expires_at)"
            ),
            {
                "t": session.tenant_id,
                "id": session.id,
                "user_id": session.user_id,
                "token_hash": session.token_hash,
                "expires_at": session.expires_at,
            },
        )

    async def find_by_hash(self, *, token_hash: bytes) -> ActiveSession | None:
        row = (
            (await self._conn.execute(text("SELECT * FROM logplane_find_session(:h)"), {"h": token_hash}))
            .mappings()
            .first()
        )
        if row is None:
            return None
        session = UserSession(
            id=as_uuid(row["id"]),
            tenant_id=as_uuid(row["tenant_id"]),
            user_id=as_uuid(row["user_id"]),
            token_hash=bytes(row["token_hash"]),
            expires_at=row["expires_at"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )
        return ActiveSession(
            session=session, user=user_from_row(row, id_column="user_id", created_column="user_created_at")
        )

    async def revoke(self, *, tenant_id: UUID, session_id: UUID, at: datetime) -> bool:
        result = await self._conn.execute(
            text(
                "UPDATE user_sessions SET revoked_at = :at "
                "WHERE tenant_id = :t AND id = :id AND revoked_at IS NULL RETURNING id"
            ),
            {"at": at, "t": tenant_id, "id": session_id},
        )
        return result.first() is not None

    async def revoke_all_of(self, *, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        result = await self._conn.execute(
            text(
                "UPDATE user_sessions SET revoked_at = :at "
                "WHERE tenant_id = :t AND user_id = :u AND revoked_at IS NULL RETURNING id"
            ),
            {"at": at, "t": tenant_id, "u": user_id},
        )
        return len(result.all())
