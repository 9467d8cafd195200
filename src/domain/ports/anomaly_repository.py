"""Port: anomalies, the stored window features they are judged against, and the run watermark."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.anomalies.anomaly import Anomaly, AnomalyFilter
from src.domain.anomalies.features import WindowFeatures


class AnomalyRepository(Protocol):
    @abstractmethod
    async def lock_watermark(self, *, tenant_id: UUID) -> datetime | None:
        """The end of the last processed window (None before the first run), locked until the
        transaction ends so that two runs for one tenant never interleave."""

    @abstractmethod
    async def set_watermark(self, *, tenant_id: UUID, processed_until: datetime) -> None: ...

    @abstractmethod
    async def save_windows(self, *, tenant_id: UUID, windows: Sequence[WindowFeatures]) -> None:
        """Insert or replace these windows' features (re-running a range is idempotent)."""

    @abstractmethod
    async def windows(self, *, tenant_id: UUID, ranges: Sequence[tuple[datetime, datetime]]) -> list[WindowFeatures]:
        """Stored windows starting in any of these `[from, to)` ranges, by start."""

    @abstractmethod
    async def prune_windows(self, *, tenant_id: UUID, before: datetime) -> int: ...

    @abstractmethod
    async def save_anomalies(
        self, *, tenant_id: UUID, start: datetime, end: datetime, anomalies: Sequence[Anomaly]
    ) -> None:
        """Replace the anomalies of windows starting in `[start, end)` with these."""

    @abstractmethod
    async def list(self, *, tenant_id: UUID, where: AnomalyFilter) -> list[Anomaly]:
        """Newest window first, highest score first within a window."""
