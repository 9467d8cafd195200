"""Use case: the alert history (`GET /api/v1/alerts`), each alert with its notifications' deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from src.domain.alerting.model import Alert, Delivery
from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput
from src.domain.ports.unit_of_work import UnitOfWorkFactory

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertWithDeliveries:
    alert: Alert
    deliveries: list[Delivery]


class ListAlerts:
    """Rules: `read` scope; the tenant's alerts only, newest first, `before` pages back in time."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(
        self, *, principal: Principal, rule_id: UUID | None, before: datetime | None, limit: int
    ) -> list[AlertWithDeliveries]:
        principal.require(Scope.READ)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is 1-{MAX_LIMIT}", details={"field": "limit"})
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            alerts = await uow.alert_history.list_alerts(
                tenant_id=principal.tenant_id, rule_id=rule_id, before=before, limit=limit
            )
            deliveries = await uow.alert_history.deliveries(
                tenant_id=principal.tenant_id, alert_ids=[a.id for a in alerts]
            )
        by_alert: dict[UUID, list[Delivery]] = {}
        for delivery in deliveries:
            by_alert.setdefault(delivery.alert_id, []).append(delivery)
        return [AlertWithDeliveries(alert=a, deliveries=by_alert.get(a.id, [])) for a in alerts]
