"""Tenants in PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import tenant_from_row
from src.domain.errors import Conflict
from src.domain.ports.tenant_repository import TenantRepository
from src.domain.tenants import Tenant

_COLUMNS = "id, name, status, retention_days, limits, archive_format, created_at, updated_at"


class PostgresTenantRepository(TenantRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, tenant: Tenant) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    text(
                        "INSERT INTO tenants (id, name, status, retention_days, limits, archive_format, created_at, updated_at) "
                        "VALUES (:id, :name, :status, :retention_days, CAST(:limits AS jsonb), :archive_format, "
                        "COALESCE(:created_at, now()), COALESCE(:updated_at, now()))"
                    ),
                    {
                        "id": tenant.id,
                        "name": tenant.name,
                        "status": tenant.status.value,
                        "retention_days": tenant.retention_days,
                        "limits": orjson.dumps(tenant.limits.as_dict()).decode(),
                        "archive_format": tenant.archive_format.value if tenant.archive_format else None,
                        "created_at": tenant.created_at,
                        "updated_at": tenant.updated_at,
                    },
                )
        except IntegrityError as e:
            raise Conflict(f"a tenant named {tenant.name!r} exists", code="tenant_exists") from e

    async def get(self, *, tenant_id: UUID) -> Tenant | None:
        row = (
            (await self._conn.execute(text(f"SELECT {_COLUMNS} FROM tenants WHERE id = :id"), {"id": tenant_id}))
            .mappings()
            .first()
        )
        return tenant_from_row(row) if row else None

    async def get_by_name(self, *, name: str) -> Tenant | None:
        row = (
            (await self._conn.execute(text(f"SELECT {_COLUMNS} FROM tenants WHERE name = :n"), {"n": name}))
            .mappings()
            .first()
        )
        return tenant_from_row(row) if row else None

    async def list(self) -> list[Tenant]:
        rows = (await self._conn.execute(text(f"SELECT {_COLUMNS} FROM tenants ORDER BY created_at"))).mappings()
        return [tenant_from_row(r) for r in rows]

    async def update(self, *, tenant: Tenant) -> None:
        await self._conn.execute(
            text(
                "UPDATE tenants SET status = :status, retention_days = :retention_days, "
                "limits = CAST(:limits AS jsonb), archive_format = :archive_format, updated_at = now() WHERE id = :id"
            ),
            {
                "id": tenant.id,
                "status": tenant.status.value,
                "retention_days": tenant.retention_days,
                "limits": orjson.dumps(tenant.limits.as_dict()).decode(),
                "archive_format": tenant.archive_format.value if tenant.archive_format else None,
            },
        )
