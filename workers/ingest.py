"""`logplane worker ingest`: parses uploaded files into events, in bounded batches."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.ingest_file import QUEUE, IngestFile
from workers.runner import consume, relay_loop


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    step = IngestFile(
        container.uow,
        container.archive_store,
        container.queue,
        container.tenant_parsers,
        container.ingest,
        max_receive_count=settings.aws.max_receive_count,
        visibility_seconds=settings.aws.visibility_timeout,
        max_decompressed_bytes=settings.ingest.max_upload_decompressed_bytes,
        max_line_bytes=settings.ingest.max_upload_line_bytes,
    )
    relay = relay_loop(
        PostgresOutboxStore(container.owner_engine),
        container.publish,
        frozenset({TaskType.INGEST_FILE}),
        settings,
        stop,
    )
    try:
        await consume(
            container.queue, QUEUE, step.execute, wait_seconds=settings.worker.receive_wait_seconds, stop=stop
        )
    finally:
        await relay
        await container.close()
