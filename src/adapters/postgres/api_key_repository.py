"""API keys in PostgreSQL; only hashes are stored."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import api_key_from_row
from src.domain.credentials import ApiKey
from src.domain.ports.api_key_repository import ApiKeyRepository

_COLUMNS = "id, tenant_id, name, scopes, key_hash, created_at, revoked_at"


class PostgresApiKeyRepository(ApiKeyRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, key: ApiKey) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO api_keys (id, tenant_id, name, scopes, key_hash) "
                "VALUES (:id, :tenant_id, :name, :scopes, :key_hash)"
            ),
            {
                "id": key.id,
                "tenant_id": key.tenant_id,
                "name": key.name,
                "scopes": sorted(s.value for s in key.scopes),
                "key_hash": key.key_hash,
            },
        )

    async def find_by_hash(self, *, key_hash: bytes) -> ApiKey | None:
        row = (
            (await self._conn.execute(text("SELECT * FROM logplane_find_api_key(:h)"), {"h": key_hash}))
            .mappings()
            .first()
        )
        return api_key_from_row(row) if row else None

    async def get(self, *, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        row = (
            (
                await self._conn.execute(
                    text(f"SELECT {_COLUMNS} FROM api_keys WHERE tenant_id = :t AND id = :id"),
                    {"t": tenant_id, "id": key_id},
                )
            )
            .mappings()
            .first()
        )
        return api_key_from_row(row) if row else None

    async def list(self, *, tenant_id: UUID) -> list[ApiKey]:
        rows = (
            await self._conn.execute(
                text(f"SELECT {_COLUMNS} FROM api_keys WHERE tenant_id = :t ORDER BY created_at"),
                {"t": tenant_id},
            )
        ).mappings()
        return [api_key_from_row(r) for r in rows]

    async def revoke(self, *, tenant_id: UUID, key_id: UUID, at: datetime) -> bool:
        result = await self._conn.execute(
            text(
                "UPDATE api_keys SET revoked_at = :at "
                "WHERE tenant_id = :t AND id = :id AND revoked_at IS NULL RETURNING id"
            ),
            {"at": at, "t": tenant_id, "id": key_id},
        )
        return result.first() is not None
