"""Tenant parsers in PostgreSQL."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.domain.ports.parser_repository import ParserRepository, StoredParser


class PostgresParserRepository(ParserRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def put(self, *, parser: StoredParser) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO tenant_parsers (tenant_id, name, pattern) VALUES (:t, :n, :p) "
                "ON CONFLICT (tenant_id, name) DO UPDATE SET pattern = EXCLUDED.pattern, created_at = now()"
            ),
            {"t": parser.tenant_id, "n": parser.name, "p": parser.pattern},
        )

    async def list(self, *, tenant_id: UUID) -> list[StoredParser]:
        rows = await self._conn.execute(
            text("SELECT tenant_id, name, pattern, created_at FROM tenant_parsers WHERE tenant_id = :t ORDER BY name"),
            {"t": tenant_id},
        )
        return [StoredParser(tenant_id=r[0], name=r[1], pattern=r[2], created_at=r[3]) for r in rows]

    async def delete(self, *, tenant_id: UUID, name: str) -> bool:
        result = await self._conn.execute(
            text("DELETE FROM tenant_parsers WHERE tenant_id = :t AND name = :n RETURNING name"),
            {"t": tenant_id, "n": name},
        )
        return result.first() is not None
