"""`logplane worker ingest`: parses uploaded files into events, in bounded batches."""

from __future__ import annotations

import asyncio

from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.ingest_file import QUEUE, IngestFile
from workers.bootstrap import worker_context
from workers.runner import Loop, one_by_one, run_loops


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("ingest", settings, stop) as ctx:
        # The ingest path (group commit, limits, rejections, tenant parsers) is the API's own;
        # it still comes from the API's composition root.
        container = build_container(settings)
        try:
            store = ctx.archive_store()
            step = IngestFile(
                ctx.uow,
                store,
                ctx.queue,
                container.tenant_parsers,
                container.ingest,
                max_receive_count=settings.aws.max_receive_count,
                visibility_seconds=settings.aws.visibility_timeout,
            )
            runner = ctx.runner(QUEUE, one_by_one(step.execute), ctx.gate(s3=store.ping))
            loops: dict[str, Loop] = {"ingest consumer": lambda: runner.run(stop, "ingest consumer")}
            loops.update([ctx.relay(TaskType.INGEST_FILE)])
            await run_loops(loops, stop=stop, beats=ctx.beats, cap=settings.worker.max_backoff_seconds)
        finally:
            await container.close()
