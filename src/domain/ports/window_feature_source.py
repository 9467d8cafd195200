"""Port: per-service window features computed from a tenant's stored events.

This is the seam for more features: an implementation returns, for each (service, window) with
events, a name → number mapping. Today: volume, errors, error ratio from `logs`; per-pattern counts
(`pattern:<id>`) and "new patterns" (`new_patterns`) slot in as more entries once events carry a
`pattern_id` — the scorer, the store and the sentences take any feature a window carries.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from src.domain.anomalies.features import WindowFeatures


class WindowFeatureSource(Protocol):
    @abstractmethod
    async def extract(
        self, *, tenant_id: UUID, start: datetime, end: datetime, window: timedelta
    ) -> list[WindowFeatures]:
        """Windows in `[start, end)` (aligned to `window`) that hold events, one per service."""
