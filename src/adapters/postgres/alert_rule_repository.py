"""Alert rules in PostgreSQL: the definition and, in the same row, the evaluation state."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.alerting.condition import Condition, RuleKind
from src.domain.alerting.model import AlertRule, AlertState, RuleState
from src.domain.ports.alert_rule_repository import AlertRuleRepository

_COLUMNS = (
    "tenant_id, id, name, query, kind, comparator, threshold, window_seconds, service, channel_ids, "
    "cooldown_seconds, enabled, state, state_since, last_value, evaluated_at, notified_at, open_alert_id, "
    "open_notified, last_error, created_at, updated_at"
)


def _rule(row: Any) -> AlertRule:
    return AlertRule(
        tenant_id=as_uuid(row.tenant_id),
        id=as_uuid(row.id),
        name=row.name,
        query=row.query,
        condition=Condition(
            kind=RuleKind(row.kind),
            comparator=row.comparator,
            threshold=float(row.threshold),
            window_seconds=int(row.window_seconds),
        ),
        service=row.service,
        channel_ids=tuple(as_uuid(c) for c in row.channel_ids or ()),
        cooldown_seconds=int(row.cooldown_seconds),
        enabled=bool(row.enabled),
        state=RuleState(
            state=AlertState(row.state),
            since=row.state_since,
            value=row.last_value,
            evaluated_at=row.evaluated_at,
            notified_at=row.notified_at,
            open_alert_id=as_uuid(row.open_alert_id) if row.open_alert_id else None,
            open_notified=bool(row.open_notified),
            error=row.last_error,
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _definition(rule: AlertRule) -> dict[str, Any]:
    return {
        "t": rule.tenant_id,
        "id": rule.id,
        "name": rule.name,
        "query": rule.query,
        "kind": rule.condition.kind.value,
        "comparator": rule.condition.comparator,
        "threshold": rule.condition.threshold,
        "window_seconds": rule.condition.window_seconds,
        "service": rule.service,
        "channel_ids": list(rule.channel_ids),
        "cooldown_seconds": rule.cooldown_seconds,
        "enabled": rule.enabled,
    }


class PostgresAlertRuleRepository(AlertRuleRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, rule: AlertRule) -> bool:
        result = await self._conn.execute(
            text(
                "INSERT INTO alert_rules (tenant_id, id, name, query, kind, comparator, threshold, window_seconds, "
                "service, channel_ids, cooldown_seconds, enabled) VALUES (:t, :id, :name, :query, :kind, "
                ":comparator, :threshold, :window_seconds, :service, :channel_ids, :cooldown_seconds, :enabled) "
                "ON CONFLICT DO NOTHING RETURNING id"
            ),
            _definition(rule),
        )
        return result.first() is not None

    async def tenants_with_rules(self) -> list[UUID]:
        result = await self._conn.execute(text("SELECT tenant_id FROM alert_tenants_with_rules() AS tenant_id"))
        return [as_uuid(r[0]) for r in result]

    async def get(self, *, tenant_id: UUID, rule_id: UUID) -> AlertRule | None:
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM alert_rules WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": rule_id},
        )
        row = result.first()
        return _rule(row) if row else None

    async def list(self, *, tenant_id: UUID, enabled_only: bool = False) -> list[AlertRule]:
        where = " AND enabled" if enabled_only else ""
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM alert_rules WHERE tenant_id = :t{where} ORDER BY name"), {"t": tenant_id}
        )
        return [_rule(r) for r in result]

    async def count(self, *, tenant_id: UUID) -> int:
        result = await self._conn.execute(
            text("SELECT count(*) FROM alert_rules WHERE tenant_id = :t"), {"t": tenant_id}
        )
        return int(result.scalar_one())

    async def update(self, *, rule: AlertRule) -> bool:
        try:
            async with self._conn.begin_nested():  # a clash of names must not end the transaction
                result = await self._conn.execute(
                    text(
                        "UPDATE alert_rules SET name = :name, query = :query, kind = :kind, comparator = :comparator, "
                        "threshold = :threshold, window_seconds = :window_seconds, service = :service, "
                        "channel_ids = :channel_ids, cooldown_seconds = :cooldown_seconds, enabled = :enabled, "
                        "updated_at = now() WHERE tenant_id = :t AND id = :id RETURNING id"
                    ),
                    _definition(rule),
                )
                return result.first() is not None
        except IntegrityError:
            return False

    async def delete(self, *, tenant_id: UUID, rule_id: UUID) -> bool:
        result = await self._conn.execute(
            text("DELETE FROM alert_rules WHERE tenant_id = :t AND id = :id RETURNING id"),
            {"t": tenant_id, "id": rule_id},
        )
        return result.first() is not None

    async def save_state(self, *, tenant_id: UUID, rule_id: UUID, state: RuleState) -> None:
        await self._conn.execute(
            text(
                "UPDATE alert_rules SET state = :state, state_since = :since, last_value = :value, "
                "evaluated_at = :evaluated_at, notified_at = :notified_at, open_alert_id = :open_alert_id, "
                "open_notified = :open_notified, last_error = :error WHERE tenant_id = :t AND id = :id"
            ),
            {
                "t": tenant_id,
                "id": rule_id,
                "state": state.state.value,
                "since": state.since,
                "value": state.value,
                "evaluated_at": state.evaluated_at,
                "notified_at": state.notified_at,
                "open_alert_id": state.open_alert_id,
                "open_notified": state.open_notified,
                "error": state.error,
            },
        )

    async def forget_channel(self, *, tenant_id: UUID, channel_id: UUID) -> None:
        await self._conn.execute(
            text(
                "UPDATE alert_rules SET channel_ids = array_remove(channel_ids, CAST(:c AS uuid)) "
                "WHERE tenant_id = :t AND CAST(:c AS uuid) = ANY(channel_ids)"
            ),
            {"t": tenant_id, "c": channel_id},
        )
