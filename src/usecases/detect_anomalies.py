"""Use case: score one tenant's new windows and keep the anomalous ones."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.anomalies.anomaly import anomaly_from
from src.domain.anomalies.baseline import history_ranges
from src.domain.anomalies.features import WINDOW, fill_silent_windows, floor_window
from src.domain.anomalies.scoring import WindowScorer
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.domain.wire import rfc3339

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionPolicy:
    threshold: float = 0.5
    # Events may arrive a little late: a window is scored only once it is this old.
    settle: timedelta = timedelta(seconds=60)
    # How much history baselines look at (and how long window features are kept).
    history: timedelta = timedelta(days=15)
    # The first run scores this much (it reads `history` to build baselines).
    backfill: timedelta = timedelta(hours=24)
    window: timedelta = WINDOW


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectRequest:
    tenant_id: UUID
    user_id: str = "scheduler"


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionRun:
    tenant_id: UUID
    start: datetime
    end: datetime
    windows_scored: int
    anomalies_found: int
    duration_ms: int
    task_id: UUID | None  # None when there was nothing to score (no task is recorded then)


class DetectAnomalies:
    """Rules:
    - a run scores the windows in `[watermark, now - settle)` (floored to the window), then moves
      the watermark to its end; the first run scores the last `backfill`;
    - the watermark row is locked for the run, so runs for one tenant never interleave, and
      re-running a range replaces its windows and anomalies (idempotent);
    - windows, anomalies, the watermark and the run's `anomaly_detection` task commit together;
      a failed run leaves a failed task and moves nothing;
    - a run with no window to score records no task.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        scorer: WindowScorer,
        *,
        policy: DetectionPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._scorer = scorer
        self._policy = policy or DetectionPolicy()
        self._clock = clock

    async def execute(self, request: DetectRequest) -> DetectionRun:
        p, tenant_id = self._policy, request.tenant_id
        began = time.monotonic()
        task_id = new_id()
        try:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                watermark = await uow.anomalies.lock_watermark(tenant_id=tenant_id)
                end = floor_window(self._clock() - p.settle, p.window)
                start = watermark or end - p.backfill
                if start >= end:
                    return DetectionRun(
                        tenant_id=tenant_id, start=start, end=start, windows_scored=0,
                        anomalies_found=0, duration_ms=0, task_id=None,
                    )  # fmt: skip
                history_start = start - p.history
                extract_from = start if watermark else history_start
                ranges = history_ranges(extract_from, end, self._scorer.config.baseline, history=p.history)
                stored = await uow.anomalies.windows(tenant_id=tenant_id, ranges=ranges)
                fresh = await uow.window_features.extract(
                    tenant_id=tenant_id, start=extract_from, end=end, window=p.window
                )
                fresh = fill_silent_windows(fresh, known=stored, start=extract_from, end=end, window=p.window)
                targets = [w for w in fresh if w.start >= start]
                history = stored + [w for w in fresh if w.start < start]
                scored = await asyncio.to_thread(self._scorer.score, history=history, windows=targets)
                anomalies = [anomaly_from(tenant_id, s, run_id=task_id) for s in scored if s.score >= p.threshold]
                await uow.anomalies.save_windows(tenant_id=tenant_id, windows=fresh)
                await uow.anomalies.save_anomalies(tenant_id=tenant_id, start=start, end=end, anomalies=anomalies)
                await uow.anomalies.set_watermark(tenant_id=tenant_id, processed_until=end)
                await uow.anomalies.prune_windows(tenant_id=tenant_id, before=end - p.history - p.backfill)
                run = DetectionRun(
                    tenant_id=tenant_id,
                    start=start,
                    end=end,
                    windows_scored=len(scored),
                    anomalies_found=len(anomalies),
                    duration_ms=int((time.monotonic() - began) * 1000),
                    task_id=task_id if scored else None,
                )
                if scored:
                    await self._record(uow, request, run)
                await uow.commit()
            return run
        except Exception as e:
            await self._record_failure(request, task_id, e, began)
            raise

    async def _record(self, uow: UnitOfWork, request: DetectRequest, run: DetectionRun) -> None:
        task = AsyncTask(
            task_id=run.task_id or new_id(),
            tenant_id=run.tenant_id,
            task_type=TaskType.ANOMALY_DETECTION,
            status=TaskStatus.RUNNING,
            user_id=request.user_id,
            payload={"from": rfc3339(run.start), "to": rfc3339(run.end)},
        )
        await uow.tasks.add_many(tasks=[task])
        await uow.tasks.finish(
            tenant_id=run.tenant_id,
            task_id=task.task_id,
            status=TaskStatus.SUCCEEDED,
            result={
                "windows_scored": run.windows_scored,
                "anomalies_found": run.anomalies_found,
                "duration_ms": run.duration_ms,
            },
        )

    async def _record_failure(self, request: DetectRequest, task_id: UUID, error: Exception, began: float) -> None:
        try:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(request.tenant_id)
                await uow.tasks.add_many(
                    tasks=[
                        AsyncTask(
                            task_id=task_id,
                            tenant_id=request.tenant_id,
                            task_type=TaskType.ANOMALY_DETECTION,
                            status=TaskStatus.RUNNING,
                            user_id=request.user_id,
                        )
                    ]
                )
                await uow.tasks.finish(
                    tenant_id=request.tenant_id,
                    task_id=task_id,
                    status=TaskStatus.FAILED,
                    result={"duration_ms": int((time.monotonic() - began) * 1000)},
                    error_msg=f"{type(error).__name__}: {error}",
                )
                await uow.commit()
        except Exception:
            logger.exception("could not record the failed anomaly run of tenant %s", request.tenant_id)
