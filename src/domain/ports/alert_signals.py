"""Port: what the analytics pipeline has found, for the rules that watch it (`new_pattern`,
`new_error_group`, `anomaly_score`). Read from the tables the pattern miner, the error grouper and
the anomaly scorer fill; each method answers one number for one tenant and window."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID


class AlertSignals(Protocol):
    @abstractmethod
    async def new_patterns(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> int:
        """Patterns first seen in [start, end) (of `service` when given)."""

    @abstractmethod
    async def new_error_groups(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> int:
        """Error groups first seen, or re-opened by a recurrence, in [start, end)."""

    @abstractmethod
    async def max_anomaly_score(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> float:
        """The highest anomaly score of a window in [start, end); 0 when none was scored."""
