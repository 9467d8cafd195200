"""`logplane worker index`: long-polls the index queue and indexes `reindex` tasks; runs the outbox relay.

Shutdown (SIGINT/SIGTERM) lets the batches in hand finish; unfinished messages return to the queue
when their visibility timeout ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.adapters.postgres.log_counts import PostgresLogCounts
from src.domain.ports.task_queue import QueueMessage
from src.domain.tasks import TaskType
from src.entrypoints.settings import Settings
from src.usecases.index_tasks import QUEUE, IndexTasks
from src.usecases.reconcile_search import ReconcileSearch
from src.usecases.request_reindex import RequestReindex
from workers.bootstrap import worker_context
from workers.runner import Loop, run_loops, run_periodic

logger = logging.getLogger(__name__)

RECONCILE_LOCK_KEY = 0x6C70_7263  # "lprc": one search reconciliation across all processes


async def main(settings: Settings, stop: asyncio.Event) -> None:
    async with worker_context("index", settings, stop) as ctx:
        cfg = settings.worker
        search_index = ctx.search_index()
        index_tasks = IndexTasks(
            ctx.uow,
            search_index,
            ctx.queue,
            max_receive_count=settings.aws.max_receive_count,
            range_batch=cfg.reindex_batch,
            visibility_seconds=settings.aws.visibility_timeout,
            # Mining here, not on the API: the acknowledgement never waits for it, and the document
            # reaches the index with its pattern id in one write (no second update per event).
            mine=ctx.pattern_miner(),
        )

        async def handle(messages: Sequence[QueueMessage]) -> list[str]:
            # Whole receives at once (not message by message): their tasks share one bulk request.
            outcome = await index_tasks.execute(messages)
            logger.info(
                "indexed %d events: %d tasks succeeded, %d retrying, %d failed",
                outcome.indexed,
                len(outcome.succeeded),
                len(outcome.retrying),
                len(outcome.failed),
            )
            return outcome.receipts  # acknowledged by the task runner

        gate = ctx.gate(opensearch=search_index.ping)
        runner = ctx.runner(QUEUE, handle, gate)

        def consumer(name: str) -> Loop:
            return lambda: runner.run(stop, name)

        # Several consumers: while one waits on OpenSearch, another is already receiving, so a
        # burst does not queue behind a single in-flight bulk request (ingest→searchable latency).
        names = [f"index consumer {i}" for i in range(cfg.index_consumers)]
        loops: dict[str, Loop] = {name: consumer(name) for name in names}
        loops.update([ctx.relay(TaskType.REINDEX)])
        reconcile = ReconcileSearch(
            PostgresLogCounts(ctx.owner_engine),
            search_index,
            ctx.uow,
            RequestReindex(ctx.uow, ctx.publish),
            window=timedelta(days=cfg.reconcile_window_days),
            settle=timedelta(seconds=cfg.reconcile_settle_seconds),
        )
        lock = PostgresLeaderLock(ctx.owner_engine, key=RECONCILE_LOCK_KEY)

        async def reconcile_once() -> object:
            # One process compares at a time; the others skip the round.
            return await reconcile.execute() if await lock.try_acquire() else None

        # Not at start-up: a worker restarting in a loop must not rescan PostgreSQL every time.
        loops["search reconciliation"] = lambda: run_periodic(
            "search reconciliation",
            reconcile_once,
            every=cfg.reconcile_interval_seconds,
            stop=stop,
            beats=ctx.beats,
            first_after=cfg.reconcile_interval_seconds,
        )
        try:
            await run_loops(loops, stop=stop, beats=ctx.beats, cfg=cfg)
        finally:
            await lock.release()
