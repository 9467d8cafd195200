"""`logplane worker index`: long-polls the index queue and indexes `reindex` tasks; runs the outbox relay.

Shutdown (SIGINT/SIGTERM) lets the batches in hand finish; unfinished messages return to the queue
when their visibility timeout ends.
"""

from __future__ import annotations

import asyncio
import logging

from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.errors import DependencyUnavailable
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.index_tasks import QUEUE, IndexTasks
from workers.runner import relay_loop, sleep_or_stop

logger = logging.getLogger(__name__)


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    cfg = settings.worker
    index_tasks = IndexTasks(
        container.uow,
        container.search_index,
        container.queue,
        max_receive_count=settings.aws.max_receive_count,
        range_batch=cfg.reindex_batch,
        visibility_seconds=settings.aws.visibility_timeout,
    )
    relay = relay_loop(
        PostgresOutboxStore(container.owner_engine), container.publish, frozenset({TaskType.REINDEX}), settings, stop
    )

    async def consume() -> None:
        # Whole receives at once (not message by message): their tasks share one bulk request.
        while not stop.is_set():
            try:
                messages = await container.queue.receive(queue=QUEUE, wait_seconds=cfg.receive_wait_seconds)
            except DependencyUnavailable as e:
                logger.warning("index queue unavailable (%s); retrying in 5 s", e.message)
                await sleep_or_stop(stop, 5.0)
                continue
            if not messages:
                continue
            outcome = await index_tasks.execute(messages)
            logger.info(
                "indexed %d events: %d tasks succeeded, %d retrying, %d failed",
                outcome.indexed,
                len(outcome.succeeded),
                len(outcome.retrying),
                len(outcome.failed),
            )

    try:
        # Several consumers: while one waits on OpenSearch, another is already receiving, so a
        # burst does not queue behind a single in-flight bulk request (ingest→searchable latency).
        await asyncio.gather(*(consume() for _ in range(cfg.index_consumers)))
    finally:
        await relay
        await container.close()
