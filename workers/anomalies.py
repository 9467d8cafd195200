"""`logplane worker anomalies`: the scheduled anomaly run, one leader across all processes."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.entrypoints.bootstrap import build_anomaly_detection
from src.entrypoints.settings import Settings
from src.usecases.schedule_anomaly_detection import ScheduleAnomalyDetection
from workers.bootstrap import worker_context
from workers.runner import run_loops, run_periodic

ANOMALY_LOCK_KEY = 0x6C70_616E  # "lpan": one anomaly scheduler across all processes


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("anomalies", settings, stop) as ctx:
        lock = PostgresLeaderLock(ctx.owner_engine, key=ANOMALY_LOCK_KEY)
        schedule = ScheduleAnomalyDetection(ctx.uow, lock, build_anomaly_detection(settings, ctx.uow))

        async def iteration() -> str | None:
            runs = await schedule.execute()
            if not runs:
                return None
            found = sum(r.anomalies_found for r in runs)
            scored = sum(r.windows_scored for r in runs)
            return f"{len(runs)} tenant(s): {scored} windows scored, {found} anomalies"

        try:
            await run_loops(
                {
                    "anomalies": lambda: run_periodic(
                        "anomalies", iteration, every=settings.anomaly.interval_seconds, stop=stop, beats=ctx.beats
                    )
                },
                stop=stop,
                beats=ctx.beats,
                cfg=settings.worker,
            )
        finally:
            await lock.release()
