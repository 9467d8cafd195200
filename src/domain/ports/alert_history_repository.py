"""Port: the alert history (each firing and resolve) and the delivery log of its notifications."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.alerting.model import Alert, Delivery, Notice


class AlertHistoryRepository(Protocol):
    @abstractmethod
    async def add_alert(self, *, alert: Alert) -> None: ...

    @abstractmethod
    async def get_alert(self, *, tenant_id: UUID, alert_id: UUID) -> Alert | None: ...

    @abstractmethod
    async def set_notice(self, *, tenant_id: UUID, alert_id: UUID, notice: Notice) -> None: ...

    @abstractmethod
    async def list_alerts(
        self, *, tenant_id: UUID, rule_id: UUID | None, before: datetime | None, limit: int
    ) -> list[Alert]:
        """Newest first."""

    @abstractmethod
    async def add_deliveries(self, *, deliveries: Sequence[Delivery]) -> None: ...

    @abstractmethod
    async def deliveries(self, *, tenant_id: UUID, alert_ids: Collection[UUID]) -> list[Delivery]: ...

    @abstractmethod
    async def tenants_with_due(self, *, now: datetime) -> list[UUID]:
        """Across tenants: those with a pending delivery due by `now` (ids only)."""

    @abstractmethod
    async def claim_due(self, *, tenant_id: UUID, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, locked for this transaction (others skip them).
        A resolve's delivery waits while its firing's delivery to the same channel is pending, so a
        receiver never hears of the resolve first."""

    @abstractmethod
    async def save_delivery(self, *, delivery: Delivery) -> None:
        """Record an attempt's outcome: status, attempts, next attempt, the log."""
