"""The alert history and the delivery log in PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.alerting.model import Alert, AlertKind, ChannelType, Delivery, DeliveryStatus, Notice
from src.domain.ports.alert_history_repository import AlertHistoryRepository

_ALERT = "tenant_id, id, rule_id, rule_name, kind, condition, query, value, at, notice, firing_id"
_DELIVERY = (
    "tenant_id, id, alert_id, channel_id, channel_name, channel_type, status, attempts, next_attempt_at, "
    "last_error, log, created_at, delivered_at"
)


def _alert(row: Any) -> Alert:
    return Alert(
        tenant_id=as_uuid(row.tenant_id),
        id=as_uuid(row.id),
        rule_id=as_uuid(row.rule_id),
        rule_name=row.rule_name,
        kind=AlertKind(row.kind),
        condition=row.condition,
        query=row.query,
        value=float(row.value),
        at=row.at,
        notice=Notice(row.notice),
        firing_id=as_uuid(row.firing_id) if row.firing_id else None,
    )


def _delivery(row: Any) -> Delivery:
    log = orjson.loads(row.log) if isinstance(row.log, str | bytes) else row.log
    return Delivery(
        tenant_id=as_uuid(row.tenant_id),
        id=as_uuid(row.id),
        alert_id=as_uuid(row.alert_id),
        channel_id=as_uuid(row.channel_id),
        channel_name=row.channel_name,
        channel_type=ChannelType(row.channel_type),
        status=DeliveryStatus(row.status),
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        log=tuple(log or ()),
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


class PostgresAlertHistoryRepository(AlertHistoryRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_alert(self, *, alert: Alert) -> None:
        await self._conn.execute(
            text(
                f"INSERT INTO alert_history ({_ALERT}) VALUES (:t, :id, :rule_id, :rule_name, :kind, :condition, :query, "
                ":value, :at, :notice, :firing_id)"
            ),
            {
                "t": alert.tenant_id,
                "id": alert.id,
                "rule_id": alert.rule_id,
                "rule_name": alert.rule_name,
                "kind": alert.kind.value,
                "condition": alert.condition,
                "query": alert.query,
                "value": alert.value,
                "at": alert.at,
                "notice": alert.notice.value,
                "firing_id": alert.firing_id,
            },
        )

    async def get_alert(self, *, tenant_id: UUID, alert_id: UUID) -> Alert | None:
        result = await self._conn.execute(
            text(f"SELECT {_ALERT} FROM alert_history WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": alert_id},
        )
        row = result.first()
        return _alert(row) if row else None

    async def set_notice(self, *, tenant_id: UUID, alert_id: UUID, notice: Notice) -> None:
        await self._conn.execute(
            text("UPDATE alert_history SET notice = :notice WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": alert_id, "notice": notice.value},
        )

    async def list_alerts(
        self, *, tenant_id: UUID, rule_id: UUID | None, before: datetime | None, limit: int
    ) -> list[Alert]:
        where, params = "", {"t": tenant_id, "limit": limit, "rule_id": rule_id, "before": before}
        if rule_id is not None:
            where += " AND rule_id = :rule_id"
        if before is not None:
            where += " AND at < :before"
        result = await self._conn.execute(
            text(
                f"SELECT {_ALERT} FROM alert_history WHERE tenant_id = :t{where} ORDER BY at DESC, id DESC LIMIT :limit"
            ),
            params,
        )
        return [_alert(r) for r in result]

    async def add_deliveries(self, *, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        await self._conn.execute(
            text(
                "INSERT INTO alert_deliveries (tenant_id, id, alert_id, channel_id, channel_name, channel_type, "
                "status, attempts, next_attempt_at) VALUES (:t, :id, :alert_id, :channel_id, :channel_name, "
                ":channel_type, :status, :attempts, :next_attempt_at)"
            ),
            [
                {
                    "t": d.tenant_id,
                    "id": d.id,
                    "alert_id": d.alert_id,
                    "channel_id": d.channel_id,
                    "channel_name": d.channel_name,
                    "channel_type": d.channel_type.value,
                    "status": d.status.value,
                    "attempts": d.attempts,
                    "next_attempt_at": d.next_attempt_at,
                }
                for d in deliveries
            ],
        )

    async def deliveries(self, *, tenant_id: UUID, alert_ids: Collection[UUID]) -> list[Delivery]:
        if not alert_ids:
            return []
        result = await self._conn.execute(
            text(
                f"SELECT {_DELIVERY} FROM alert_deliveries WHERE tenant_id = :t AND alert_id = ANY(:ids) "
                "ORDER BY created_at, channel_name"
            ),
            {"t": tenant_id, "ids": list(alert_ids)},
        )
        return [_delivery(r) for r in result]

    async def tenants_with_due(self, *, now: datetime) -> list[UUID]:
        result = await self._conn.execute(
            text("SELECT tenant_id FROM alert_tenants_with_due_deliveries(:now) AS tenant_id"), {"now": now}
        )
        return [as_uuid(r[0]) for r in result]

    async def claim_due(self, *, tenant_id: UUID, now: datetime, limit: int) -> list[Delivery]:
        result = await self._conn.execute(
            text(
                f"SELECT {_DELIVERY} FROM alert_deliveries d WHERE tenant_id = :t AND status = 'pending' "
                "AND next_attempt_at <= :now AND NOT EXISTS ("
                # A resolve waits while its firing is still pending on the same channel.
                "SELECT 1 FROM alert_history h JOIN alert_deliveries f ON f.tenant_id = h.tenant_id "
                "AND f.alert_id = h.firing_id AND f.channel_id = d.channel_id AND f.status = 'pending' "
                "WHERE h.tenant_id = d.tenant_id AND h.id = d.alert_id) "
                "ORDER BY next_attempt_at, id LIMIT :limit FOR UPDATE OF d SKIP LOCKED"
            ),
            {"t": tenant_id, "now": now, "limit": limit},
        )
        return [_delivery(r) for r in result]

    async def save_delivery(self, *, delivery: Delivery) -> None:
        await self._conn.execute(
            text(
                "UPDATE alert_deliveries SET status = :status, attempts = :attempts, "
                "next_attempt_at = :next_attempt_at, last_error = :last_error, log = CAST(:log AS jsonb), "
                "delivered_at = :delivered_at WHERE tenant_id = :t AND id = :id"
            ),
            {
                "t": delivery.tenant_id,
                "id": delivery.id,
                "status": delivery.status.value,
                "attempts": delivery.attempts,
                "next_attempt_at": delivery.next_attempt_at,
                "last_error": delivery.last_error,
                "log": orjson.dumps(list(delivery.log)).decode(),
                "delivered_at": delivery.delivered_at,
            },
        )
