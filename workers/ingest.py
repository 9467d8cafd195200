"""`logplane worker ingest`: parses uploaded files into events, in bounded batches."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.partitions import PostgresPartitionMaintainer
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_ingest, make_event_bus
from src.entrypoints.settings import Settings
from src.usecases.ingest_file import QUEUE, IngestFile
from src.usecases.tenant_parsers import TenantParsers
from workers.bootstrap import worker_context
from workers.runner import Loop, run_loops
from workers.task_runner import one_by_one


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("ingest", settings, stop) as ctx:
        # The API's own ingest path (group commit, limits, rejections), so a file's events are
        # stored, announced and indexed exactly as posted ones are.
        bus = make_event_bus(settings)
        ctx.closing(bus)
        ingest, writer, _ = build_ingest(
            settings, ctx.uow, PostgresPartitionMaintainer(ctx.app_engine), ctx.publish, bus
        )
        ctx.closing(writer)
        store = ctx.archive_store()
        step = IngestFile(
            ctx.uow,
            store,
            ctx.queue,
            TenantParsers(ctx.uow, cache_seconds=settings.auth.credential_cache_seconds),
            ingest,
            max_receive_count=settings.aws.max_receive_count,
            visibility_seconds=settings.aws.visibility_timeout,
            max_decompressed_bytes=settings.ingest.max_upload_decompressed_bytes,
            max_line_bytes=settings.ingest.max_upload_line_bytes,
        )
        runner = ctx.runner(QUEUE, one_by_one(step.execute), ctx.gate(s3=store.ping))
        loops: dict[str, Loop] = {"ingest consumer": lambda: runner.run(stop, "ingest consumer")}
        loops.update([ctx.relay(TaskType.INGEST_FILE)])
        await run_loops(
            loops,
            stop=stop,
            beats=ctx.beats,
            cfg=settings.worker,
        )
