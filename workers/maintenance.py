"""`logplane worker maintenance`: partitions ahead of time and expiry of idempotency claims."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.idempotency_janitor import PostgresIdempotencyJanitor
from src.adapters.postgres.partitions import PostgresPartitionMaintainer
from src.entrypoints.settings import Settings
from src.usecases.maintain_storage import MaintainStorage
from workers.bootstrap import worker_context
from workers.runner import run_loops, run_periodic

INTERVAL_SECONDS = 600.0


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("maintenance", settings, stop) as ctx:
        use_case = MaintainStorage(
            PostgresPartitionMaintainer(ctx.app_engine), PostgresIdempotencyJanitor(ctx.owner_engine)
        )
        await run_loops(
            {
                "maintenance": lambda: run_periodic(
                    "maintenance", use_case.execute, every=INTERVAL_SECONDS, stop=stop, beats=ctx.beats
                )
            },
            stop=stop,
            beats=ctx.beats,
            cfg=settings.worker,
        )
