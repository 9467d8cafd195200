"""`logplane worker ingest`: parses uploaded files into events, in bounded batches."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.errors import DependencyUnavailable
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.ingest_file import QUEUE, IngestFile
from src.usecases.publish_tasks import RelayOutbox
from workers.runner import run_periodic, sleep_or_stop

logger = logging.getLogger(__name__)


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    cfg = settings.worker
    step = IngestFile(
        container.uow,
        container.archive_store,
        container.queue,
        container.tenant_parsers,
        container.ingest,
        max_receive_count=settings.aws.max_receive_count,
        visibility_seconds=settings.aws.visibility_timeout,
    )
    relay = RelayOutbox(
        PostgresOutboxStore(container.owner_engine),
        container.publish,
        types=frozenset({TaskType.INGEST_FILE}),
        stale_after=timedelta(seconds=cfg.relay_stale_seconds),
    )
    relay_loop = asyncio.create_task(
        run_periodic("ingest relay", relay.execute, every=cfg.relay_interval_seconds, stop=stop)
    )
    try:
        while not stop.is_set():
            try:
                messages = await container.queue.receive(queue=QUEUE, wait_seconds=cfg.receive_wait_seconds)
            except DependencyUnavailable as e:
                logger.warning("ingest queue unavailable (%s); retrying in 5 s", e.message)
                await sleep_or_stop(stop, 5.0)
                continue
            done = [m.receipt for m in messages if await step.execute(m)]
            if done:
                await container.queue.ack(queue=QUEUE, receipts=done)
    finally:
        await relay_loop
        await container.close()
