"""Use case: a tenant admin runs anomaly detection for their tenant now, not at the next tick."""

from __future__ import annotations

from src.domain.credentials import Principal, Scope
from src.usecases.detect_anomalies import DetectAnomalies, DetectionRun, DetectRequest


class RunAnomalyDetection:
    """Rules: `admin` scope; the tenant is the principal's; the run is the scheduler's run (same
    watermark, same lock, same task record), so running now and the schedule never double-count."""

    def __init__(self, detect: DetectAnomalies) -> None:
        self._detect = detect

    async def execute(self, *, principal: Principal) -> DetectionRun:
        principal.require(Scope.ADMIN)
        return await self._detect.execute(DetectRequest(tenant_id=principal.tenant_id, user_id=principal.subject))
