"""`logplane worker alerts`: evaluate alert rules on a schedule (one leader across all processes)
and send the due notifications (every process may: deliveries are claimed with SKIP LOCKED)."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.entrypoints.bootstrap import (
    build_alert_evaluation,
    make_alert_signals,
    make_notification_sender,
    make_secret_cipher,
)
from src.entrypoints.settings import Settings
from workers.bootstrap import worker_context
from workers.runner import Loop, run_loops, run_periodic

ALERTS_LOCK_KEY = 0x6C70_616C  # "lpal": one alert evaluator across all processes


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("alerts", settings, stop) as ctx:
        cfg = settings.alerts
        sender = make_notification_sender(settings)
        ctx.closing(sender)
        lock = PostgresLeaderLock(ctx.owner_engine, key=ALERTS_LOCK_KEY)
        evaluate, deliver = build_alert_evaluation(
            settings,
            ctx.uow,
            ctx.search_index(),
            lock,
            cipher=make_secret_cipher(settings),
            sender=sender,
            signals=make_alert_signals(ctx.app_engine),
        )
        loops: dict[str, Loop] = {
            "alert evaluation": lambda: run_periodic(
                "alert evaluation", evaluate.execute, every=cfg.evaluation_interval_seconds, stop=stop, beats=ctx.beats
            ),
            "alert delivery": lambda: run_periodic(
                "alert delivery", deliver.execute, every=cfg.delivery_interval_seconds, stop=stop, beats=ctx.beats
            ),
        }
        try:
            await run_loops(
                loops,
                stop=stop,
                beats=ctx.beats,
                cfg=settings.worker,
            )
        finally:
            await lock.release()
