"""Saved searches in PostgreSQL (RLS on the table; the tenant predicate is in every statement too)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.ports.saved_search_repository import SavedSearch, SavedSearchRepository

_COLUMNS = "tenant_id, id, name, query, time_from, time_to, created_at, updated_at"


def _search(row: Any) -> SavedSearch:
    return SavedSearch(
        tenant_id=as_uuid(row.tenant_id),
        id=as_uuid(row.id),
        name=row.name,
        query=row.query,
        time_from=row.time_from,
        time_to=row.time_to,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class PostgresSavedSearchRepository(SavedSearchRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, search: SavedSearch) -> bool:
        result = await self._conn.execute(
            text(
                "INSERT INTO saved_searches (tenant_id, id, name, query, time_from, time_to) "
                "VALUES (:t, :id, :name, :query, :time_from, :time_to) ON CONFLICT DO NOTHING RETURNING id"
            ),
            {
                "t": search.tenant_id,
                "id": search.id,
                "name": search.name,
                "query": search.query,
                "time_from": search.time_from,
                "time_to": search.time_to,
            },
        )
        return result.first() is not None

    async def get(self, *, tenant_id: UUID, search_id: UUID) -> SavedSearch | None:
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM saved_searches WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": search_id},
        )
        row = result.first()
        return _search(row) if row else None

    async def list(self, *, tenant_id: UUID) -> list[SavedSearch]:
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM saved_searches WHERE tenant_id = :t ORDER BY name"), {"t": tenant_id}
        )
        return [_search(r) for r in result]

    async def count(self, *, tenant_id: UUID) -> int:
        result = await self._conn.execute(
            text("SELECT count(*) FROM saved_searches WHERE tenant_id = :t"), {"t": tenant_id}
        )
        return int(result.scalar_one())

    async def update(self, *, search: SavedSearch) -> bool:
        try:
            async with self._conn.begin_nested():  # a clash of names must not end the transaction
                result = await self._conn.execute(
                    text(
                        "UPDATE saved_searches SET name = :name, query = :query, time_from = :time_from, "
                        "time_to = :time_to, updated_at = now() WHERE tenant_id = :t AND id = :id RETURNING id"
                    ),
                    {
                        "t": search.tenant_id,
                        "id": search.id,
                        "name": search.name,
                        "query": search.query,
                        "time_from": search.time_from,
                        "time_to": search.time_to,
                    },
                )
                return result.first() is not None
        except IntegrityError:
            return False

    async def delete(self, *, tenant_id: UUID, search_id: UUID) -> bool:
        result = await self._conn.execute(
            text("DELETE FROM saved_searches WHERE tenant_id = :t AND id = :id RETURNING id"),
            {"t": tenant_id, "id": search_id},
        )
        return result.first() is not None
