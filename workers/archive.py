"""`logplane worker archive`: archive and restore tasks, the retention scheduler, and their relay."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.ports.task_queue import QueueMessage
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.archive_logs import QUEUE, ArchiveLogs
from src.usecases.restore_logs import RestoreLogs
from src.usecases.schedule_retention import ScheduleRetention
from workers.runner import consume, relay_loop, run_periodic

logger = logging.getLogger(__name__)

RETENTION_LOCK_KEY = 0x6C70_7274  # "lprt": one retention scheduler across all processes


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    cfg = settings.worker
    archive = ArchiveLogs(
        container.uow,
        container.archive_store,
        container.queue,
        container.publish,
        max_receive_count=settings.aws.max_receive_count,
        part_rows=cfg.archive_part_rows,
        settle=timedelta(seconds=cfg.archive_settle_seconds),
        visibility_seconds=settings.aws.visibility_timeout,
    )
    restore = RestoreLogs(
        container.uow, container.archive_store, container.search_index, max_receive_count=settings.aws.max_receive_count
    )
    lock = PostgresLeaderLock(container.owner_engine, key=RETENTION_LOCK_KEY)
    retention = ScheduleRetention(container.uow, lock, container.publish)
    loops = [
        relay_loop(
            PostgresOutboxStore(container.owner_engine),
            container.publish,
            frozenset({TaskType.ARCHIVE, TaskType.RESTORE, TaskType.LOG_CLEANUP}),
            settings,
            stop,
        ),
        asyncio.create_task(
            run_periodic("retention", retention.execute, every=cfg.retention_interval_seconds, stop=stop)
        ),
    ]

    async def handle(message: QueueMessage) -> bool:
        # One at a time: an archive streams a whole range; the message in hand always completes.
        handler = restore if message.body.get("task_type") == TaskType.RESTORE.value else archive
        return await handler.execute(message)

    try:
        await consume(container.queue, QUEUE, handle, wait_seconds=cfg.receive_wait_seconds, stop=stop)
    finally:
        await asyncio.gather(*loops)
        await lock.release()
        await container.close()
