"""`logplane worker export`: writes requested exports to S3."""

from __future__ import annotations

import asyncio

from src.adapters.arrow.parquet_writer import ArrowParquetWriterFactory
from src.domain.query import query_from_filters
from src.domain.tasks import TaskType
from src.entrypoints.settings import Settings
from src.usecases.export_logs import QUEUE, RunExport
from workers.bootstrap import worker_context
from workers.runner import Loop, run_loops
from workers.task_runner import one_by_one


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("export", settings, stop) as ctx:
        store = ctx.archive_store()
        run = RunExport(
            ctx.uow,
            store,
            ctx.queue,
            ArrowParquetWriterFactory(),
            query_from_filters=query_from_filters,
            max_receive_count=settings.aws.max_receive_count,
            visibility_seconds=settings.aws.visibility_timeout,
        )
        runner = ctx.runner(QUEUE, one_by_one(run.execute), ctx.gate(s3=store.ping))
        loops: dict[str, Loop] = {"export consumer": lambda: runner.run(stop, "export consumer")}
        loops.update([ctx.relay(TaskType.EXPORT)])
        await run_loops(
            loops,
            stop=stop,
            beats=ctx.beats,
            cfg=settings.worker,
        )
