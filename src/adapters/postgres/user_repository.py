"""Human users in PostgreSQL (RLS on the table; the tenant predicate is in every statement too)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.ports.user_repository import UserRepository
from src.domain.users import Role, User

_COLUMNS = "tenant_id, id, email, role, password_hash, disabled, failed_attempts, locked_until, created_at"


def user_from_row(row: Any, *, id_column: str = "id", created_column: str = "created_at") -> User:
    return User(
        tenant_id=as_uuid(row["tenant_id"]),
        id=as_uuid(row[id_column]),
        email=row["email"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        disabled=row["disabled"],
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"],
        created_at=row[created_column],
    )


class PostgresUserRepository(UserRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, user: User) -> bool:
        result = await self._conn.execute(
            text(
                "INSERT INTO users (tenant_id, id, email, role, password_hash, disabled) "
                "VALUES (:t, :id, :email, :role, :password_hash, :disabled) ON CONFLICT DO NOTHING RETURNING id"
            ),
            {
                "t": user.tenant_id,
                "id": user.id,
                "email": user.email,
                "role": user.role.value,
                "password_hash": user.password_hash,
                "disabled": user.disabled,
            },
        )
        return result.first() is not None

    async def _one(self, where: str, params: dict[str, Any]) -> User | None:
        row = (await self._conn.execute(text(f"SELECT {_COLUMNS} FROM users WHERE {where}"), params)).mappings().first()
        return user_from_row(row) if row else None

    async def get(self, *, tenant_id: UUID, user_id: UUID) -> User | None:
        return await self._one("tenant_id = :t AND id = :id", {"t": tenant_id, "id": user_id})

    async def get_by_email(self, *, tenant_id: UUID, email: str) -> User | None:
        return await self._one("tenant_id = :t AND email = :email", {"t": tenant_id, "email": email})

    async def list(self, *, tenant_id: UUID) -> list[User]:
        rows = (
            await self._conn.execute(
                text(f"SELECT {_COLUMNS} FROM users WHERE tenant_id = :t ORDER BY email"), {"t": tenant_id}
            )
        ).mappings()
        return [user_from_row(r) for r in rows]

    async def update(self, *, user: User) -> None:
        await self._conn.execute(
            text(
                "UPDATE users SET role = :role, password_hash = :password_hash, disabled = :disabled, "
                "failed_attempts = :failed, locked_until = :locked WHERE tenant_id = :t AND id = :id"
            ),
            {
                "t": user.tenant_id,
                "id": user.id,
                "role": user.role.value,
                "password_hash": user.password_hash,
                "disabled": user.disabled,
                "failed": user.failed_attempts,
                "locked": user.locked_until,
            },
        )

    async def delete(self, *, tenant_id: UUID, user_id: UUID) -> bool:
        result = await self._conn.execute(
            text("DELETE FROM users WHERE tenant_id = :t AND id = :id RETURNING id"), {"t": tenant_id, "id": user_id}
        )
        return result.first() is not None
