"""Alert channels in PostgreSQL (the secret column holds ciphertext only)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.alerting.model import AlertChannel, ChannelType
from src.domain.ports.alert_channel_repository import AlertChannelRepository

_COLUMNS = "tenant_id, id, name, type, config, secret, created_at, updated_at"


def _channel(row: Any) -> AlertChannel:
    config = orjson.loads(row.config) if isinstance(row.config, str | bytes) else row.config
    return AlertChannel(
        tenant_id=as_uuid(row.tenant_id),
        id=as_uuid(row.id),
        name=row.name,
        type=ChannelType(row.type),
        config=config or {},
        secret=bytes(row.secret) if row.secret is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _params(channel: AlertChannel) -> dict[str, Any]:
    return {
        "t": channel.tenant_id,
        "id": channel.id,
        "name": channel.name,
        "type": channel.type.value,
        "config": orjson.dumps(channel.config).decode(),
        "secret": channel.secret,
    }


class PostgresAlertChannelRepository(AlertChannelRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, channel: AlertChannel) -> bool:
        result = await self._conn.execute(
            text(
                "INSERT INTO alert_channels (tenant_id, id, name, type, config, secret) "
                "VALUES (:t, :id, :name, :type, CAST(:config AS jsonb), :secret) ON CONFLICT DO NOTHING RETURNING id"
            ),
            _params(channel),
        )
        return result.first() is not None

    async def get(self, *, tenant_id: UUID, channel_id: UUID) -> AlertChannel | None:
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM alert_channels WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": channel_id},
        )
        row = result.first()
        return _channel(row) if row else None

    async def list(self, *, tenant_id: UUID, ids: Collection[UUID] | None = None) -> list[AlertChannel]:
        if ids is not None and not ids:
            return []
        where = ""
        params: dict[str, Any] = {"t": tenant_id}
        if ids is not None:
            where, params = " AND id = ANY(:ids)", {"t": tenant_id, "ids": list(ids)}
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM alert_channels WHERE tenant_id = :t{where} ORDER BY name"), params
        )
        return [_channel(r) for r in result]

    async def count(self, *, tenant_id: UUID) -> int:
        result = await self._conn.execute(
            text("SELECT count(*) FROM alert_channels WHERE tenant_id = :t"), {"t": tenant_id}
        )
        return int(result.scalar_one())

    async def update(self, *, channel: AlertChannel) -> bool:
        try:
            async with self._conn.begin_nested():  # a clash of names must not end the transaction
                result = await self._conn.execute(
                    text(
                        "UPDATE alert_channels SET name = :name, type = :type, config = CAST(:config AS jsonb), "
                        "secret = :secret, updated_at = now() WHERE tenant_id = :t AND id = :id RETURNING id"
                    ),
                    _params(channel),
                )
                return result.first() is not None
        except IntegrityError:
            return False

    async def delete(self, *, tenant_id: UUID, channel_id: UUID) -> bool:
        result = await self._conn.execute(
            text("DELETE FROM alert_channels WHERE tenant_id = :t AND id = :id RETURNING id"),
            {"t": tenant_id, "id": channel_id},
        )
        return result.first() is not None
