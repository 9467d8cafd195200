"""`logplane worker maintenance`: partitions ahead of time; expiry of idempotency claims, commit order
and finished reindex tasks."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.ingest_janitor import PostgresIngestJanitor
from src.adapters.postgres.partitions import PostgresPartitionMaintainer
from src.entrypoints.settings import Settings
from src.usecases.maintain_storage import MaintainStorage
from workers.bootstrap import worker_context
from workers.runner import run_loops, run_periodic

INTERVAL_SECONDS = 600.0


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("maintenance", settings, stop) as ctx:
        use_case = MaintainStorage(PostgresPartitionMaintainer(ctx.app_engine), PostgresIngestJanitor(ctx.owner_engine))
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
