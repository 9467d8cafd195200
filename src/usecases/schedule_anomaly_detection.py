"""Use case: the scheduled anomaly run across tenants, by one process at a time."""

from __future__ import annotations

import logging

from src.domain.ports.leader_lock import LeaderLock
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.usecases.detect_anomalies import DetectAnomalies, DetectionRun, DetectRequest

logger = logging.getLogger(__name__)


class ScheduleAnomalyDetection:
    """Rules:
    - one scheduler acts across all processes (a leader lock); the others do nothing;
    - every active tenant gets a run; one tenant's failure (recorded as its failed task) does not
      keep the others from theirs.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, lock: LeaderLock, detect: DetectAnomalies) -> None:
        self._uow_factory = uow_factory
        self._lock = lock
        self._detect = detect

    async def execute(self) -> list[DetectionRun]:
        if not await self._lock.try_acquire():
            return []
        async with self._uow_factory() as uow:
            tenants = [t for t in await uow.tenants.list() if t.is_active]
        runs: list[DetectionRun] = []
        for tenant in tenants:
            try:
                run = await self._detect.execute(DetectRequest(tenant_id=tenant.id))
            except Exception:
                logger.exception("anomaly detection failed for tenant %s", tenant.id)
                continue
            if run.task_id is not None:
                runs.append(run)
        return runs
