"""Port: how many events PostgreSQL holds per tenant and UTC day (the search reconciliation's truth)."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class DayCount:
    tenant_id: UUID
    day: date
    count: int


class LogCounts(Protocol):
    @abstractmethod
    async def per_tenant_day(self, *, since: datetime, received_before: datetime) -> list[DayCount]:
        """Events with a timestamp from `since`, acknowledged before `received_before`, across tenants."""
