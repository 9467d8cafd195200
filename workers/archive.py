"""`logplane worker archive`: archive and restore tasks, the retention scheduler, and their relay."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.domain.archive import ArchiveFormat
from src.domain.ports.task_queue import QueueMessage
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import make_archive_codecs
from src.entrypoints.settings import Settings
from src.usecases.archive_logs import QUEUE, ArchiveLogs
from src.usecases.restore_logs import RestoreLogs
from src.usecases.schedule_retention import ScheduleRetention
from workers.bootstrap import worker_context
from workers.runner import Loop, run_loops, run_periodic
from workers.task_runner import one_by_one

logger = logging.getLogger(__name__)

RETENTION_LOCK_KEY = 0x6C70_7274  # "lprt": one retention scheduler across all processes


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("archive", settings, stop) as ctx:
        cfg = settings.worker
        store, index, codecs = ctx.archive_store(), ctx.search_index(), make_archive_codecs()
        archive = ArchiveLogs(
            ctx.uow,
            store,
            ctx.queue,
            ctx.publish,
            codecs=codecs,
            default_format=ArchiveFormat(cfg.archive_format),
            max_receive_count=settings.aws.max_receive_count,
            part_rows=cfg.archive_part_rows,
            settle=timedelta(seconds=cfg.archive_settle_seconds),
            visibility_seconds=settings.aws.visibility_timeout,
        )
        restore = RestoreLogs(
            ctx.uow,
            store,
            index,
            codecs=codecs,
            max_receive_count=settings.aws.max_receive_count,
            mine=ctx.pattern_miner(),
        )
        lock = PostgresLeaderLock(ctx.owner_engine, key=RETENTION_LOCK_KEY)
        retention = ScheduleRetention(ctx.uow, lock, ctx.publish)

        async def handle(message: QueueMessage) -> bool:
            # One at a time: an archive streams a whole range; the message in hand always completes.
            handler = restore if message.body.get("task_type") == TaskType.RESTORE.value else archive
            return await handler.execute(message)

        runner = ctx.runner(QUEUE, one_by_one(handle), ctx.gate(s3=store.ping, opensearch=index.ping))
        loops: dict[str, Loop] = {
            "archive consumer": lambda: runner.run(stop, "archive consumer"),
            "retention": lambda: run_periodic(
                "retention", retention.execute, every=cfg.retention_interval_seconds, stop=stop, beats=ctx.beats
            ),
        }
        loops.update([ctx.relay(TaskType.ARCHIVE, TaskType.RESTORE, TaskType.LOG_CLEANUP)])
        try:
            await run_loops(loops, stop=stop, beats=ctx.beats, cfg=cfg)
        finally:
            await lock.release()
