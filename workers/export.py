"""`logplane worker export`: writes requested exports to S3."""

from __future__ import annotations

import asyncio

from src.adapters.arrow.parquet_writer import ArrowParquetWriterFactory
from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.query import query_from_filters
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.export_logs import QUEUE, RunExport
from workers.runner import consume, relay_loop


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    run = RunExport(
        container.uow,
        container.archive_store,
        container.queue,
        ArrowParquetWriterFactory(),
        query_from_filters=query_from_filters,
        max_receive_count=settings.aws.max_receive_count,
        visibility_seconds=settings.aws.visibility_timeout,
    )
    relay = relay_loop(
        PostgresOutboxStore(container.owner_engine), container.publish, frozenset({TaskType.EXPORT}), settings, stop
    )
    try:
        await consume(container.queue, QUEUE, run.execute, wait_seconds=settings.worker.receive_wait_seconds, stop=stop)
    finally:
        await relay
        await container.close()
