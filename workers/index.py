"""`logplane worker index`: long-polls the index queue and indexes `reindex` tasks; runs the outbox relay.

Shutdown (SIGINT/SIGTERM) lets the batch in hand finish; unfinished messages return to the queue
when their visibility timeout ends.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from src.adapters.postgres.outbox import PostgresOutboxStore
from src.domain.errors import DependencyUnavailable
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.index_tasks import QUEUE, IndexTasks
from src.usecases.publish_tasks import RelayOutbox
from workers.runner import run_periodic, sleep_or_stop

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
    relay = RelayOutbox(
        PostgresOutboxStore(container.owner_engine),
        container.publish,
        types=frozenset({TaskType.REINDEX}),
        stale_after=timedelta(seconds=cfg.relay_stale_seconds),
    )
    relay_loop = asyncio.create_task(
        run_periodic("outbox relay", relay.execute, every=cfg.relay_interval_seconds, stop=stop)
    )

    async def consume() -> None:
        while not stop.is_set():
            try:
                messages = await container.queue.receive(queue=QUEUE, wait_seconds=cfg.receive_wait_seconds)
            except DependencyUnavailable as e:
                logger.warning("index queue unavailable (%s); retrying in 5 s", e.message)
                await sleep_or_stop(stop, 5.0)
                continue
            if not messages:
                continue
            # Not cancelled by a stop signal: the batch in hand completes.
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
        await relay_loop
        await container.close()
