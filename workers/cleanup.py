"""`logplane worker cleanup`: deletes archived ranges from PostgreSQL and OpenSearch."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.log_purger import PostgresLogPurger
from src.entrypoints.settings import Settings
from src.usecases.cleanup_logs import QUEUE, CleanupLogs
from workers.bootstrap import worker_context
from workers.runner import run_loops
from workers.task_runner import one_by_one


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("cleanup", settings, stop) as ctx:
        store, index = ctx.archive_store(), ctx.search_index()
        cleanup = CleanupLogs(
            ctx.uow,
            store,
            PostgresLogPurger(ctx.owner_engine),
            index,
            max_receive_count=settings.aws.max_receive_count,
            batch_size=settings.worker.cleanup_batch,
        )
        runner = ctx.runner(QUEUE, one_by_one(cleanup.execute), ctx.gate(s3=store.ping, opensearch=index.ping))
        # Its relay runs in the archive worker, which creates the cleanup tasks.
        await run_loops(
            {"cleanup consumer": lambda: runner.run(stop, "cleanup consumer")},
            stop=stop,
            beats=ctx.beats,
            cfg=settings.worker,
        )
