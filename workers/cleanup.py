"""`logplane worker cleanup`: deletes archived ranges from PostgreSQL and OpenSearch."""

from __future__ import annotations

import asyncio
import logging

from src.adapters.postgres.log_purger import PostgresLogPurger
from src.domain.errors import DependencyUnavailable
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.cleanup_logs import QUEUE, CleanupLogs
from workers.runner import sleep_or_stop

logger = logging.getLogger(__name__)


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
        while not stop.is_set():
            try:
                messages = await container.queue.receive(queue=QUEUE, wait_seconds=settings.worker.receive_wait_seconds)
            except DependencyUnavailable as e:
                logger.warning("cleanup queue unavailable (%s); retrying in 5 s", e.message)
                await sleep_or_stop(stop, 5.0)
                continue
            done = [m.receipt for m in messages if await cleanup.execute(m)]
            if done:
                await container.queue.ack(queue=QUEUE, receipts=done)
    finally:
        await container.close()
