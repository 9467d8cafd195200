"""`logplane worker cleanup`: deletes archived ranges from PostgreSQL and OpenSearch."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.log_purger import PostgresLogPurger
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.cleanup_logs import QUEUE, CleanupLogs
from workers.runner import consume


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    cleanup = CleanupLogs(
        container.uow,
        container.archive_store,
        PostgresLogPurger(container.owner_engine),
        container.search_index,
        max_receive_count=settings.aws.max_receive_count,
        batch_size=settings.worker.cleanup_batch,
    )
    try:
        # Its relay runs in the archive worker, which creates the cleanup tasks.
        await consume(
            container.queue, QUEUE, cleanup.execute, wait_seconds=settings.worker.receive_wait_seconds, stop=stop
        )
    finally:
        await container.close()
