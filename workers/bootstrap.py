"""Typed composition root of a worker process: exactly what workers share, each worker adds its own.

Unlike the API's `Container`, nothing here is looked up by name: a worker asks for its adapters
(`search_index()`, `archive_store()`) and gets its task runners, relay and dependency gate already
wired to the one fault mechanism in `workers/runner.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.engine import make_app_engine, make_owner_engine
from src.adapters.postgres.outbox import PostgresOutboxStore
from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.task_queue import TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import TaskType
from src.entrypoints.bootstrap import make_archive_store, make_search_index, make_task_queue
from src.entrypoints.settings import Settings
from src.usecases.mine_patterns import MinePatterns, MinerCache
from src.usecases.publish_tasks import PublishTasks
from src.usecases.redrive_dead_letters import RedriveDeadLetters
from workers.heartbeat import Heartbeats
from workers.runner import Loop, relay_loop
from workers.task_runner import BatchHandler, DependencyGate, Probe, TaskRunner

Closer = Callable[[], Awaitable[None]]


@dataclass
class WorkerContext:
    name: str
    settings: Settings
    stop: asyncio.Event
    app_engine: AsyncEngine
    owner_engine: AsyncEngine
    uow: UnitOfWorkFactory
    queue: TaskQueue
    publish: PublishTasks
    beats: Heartbeats
    _closers: list[Closer] = field(default_factory=list)

    def search_index(self) -> SearchIndex:
        index = make_search_index(self.settings)
        self.closing(index)
        return index

    def archive_store(self) -> ArchiveStore:
        store = make_archive_store(self.settings)
        self.closing(store)
        return store

    def pattern_miner(self) -> MinePatterns | None:
        """Pattern mining for the events a worker indexes (index, restore), or None when it is off."""
        cfg = self.settings.worker
        return MinePatterns(self.uow, MinerCache(max_miners=cfg.miner_cache_size)) if cfg.mine_patterns else None

    def closing(self, resource: object) -> None:
        """Close `resource` (if it has `close`) when the worker stops."""
        closer = getattr(resource, "close", None)
        if closer is not None:
            self._closers.append(closer)

    async def ping_database(self) -> None:
        async with self.uow():
            pass

    def gate(self, **probes: Probe) -> DependencyGate:
        """PostgreSQL and the queue are every worker's dependencies; `probes` names the others."""
        ping_queue = getattr(self.queue, "ping", None)
        every: dict[str, Probe] = {"postgres": self.ping_database, **probes}
        if ping_queue is not None:
            every["sqs"] = ping_queue
        return DependencyGate(every, beats=self.beats, cap=self.settings.worker.max_backoff_seconds)

    def runner(self, queue: str, handle: BatchHandler, gate: DependencyGate) -> TaskRunner:
        return TaskRunner(
            self.queue,
            queue,
            handle,
            gate=gate,
            beats=self.beats,
            redrive=RedriveDeadLetters(self.uow, self.queue),
            wait_seconds=self.settings.worker.receive_wait_seconds,
            visibility_seconds=self.settings.aws.visibility_timeout,
            max_backoff=self.settings.worker.max_backoff_seconds,
        )

    def relay(self, *types: TaskType) -> tuple[str, Loop]:
        cfg = self.settings.worker
        return relay_loop(
            PostgresOutboxStore(self.owner_engine),
            self.publish,
            frozenset(types),
            interval=cfg.relay_interval_seconds,
            stale_after=cfg.relay_stale_seconds,
            unpublished_after=cfg.relay_unpublished_seconds,
            lost_after=cfg.relay_lost_seconds,
            stop=self.stop,
            beats=self.beats,
        )

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()
        await self.app_engine.dispose()
        await self.owner_engine.dispose()


@asynccontextmanager
async def worker_context(name: str, settings: Settings, stop: asyncio.Event) -> AsyncIterator[WorkerContext]:
    app_engine = make_app_engine(settings.database.database_url, pool_size=4, max_overflow=4)
    owner_engine = make_owner_engine(settings.database.database_url)
    queue = make_task_queue(settings)
    context = WorkerContext(
        name=name,
        settings=settings,
        stop=stop,
        app_engine=app_engine,
        owner_engine=owner_engine,
        uow=PostgresUnitOfWorkFactory(app_engine),
        queue=queue,
        publish=PublishTasks(queue, PostgresOutboxStore(owner_engine), timeout=settings.worker.publish_timeout_seconds),
        beats=Heartbeats(name, Path(settings.worker.status_dir) if settings.worker.status_dir else None),
    )
    context.closing(queue)
    try:
        yield context
    finally:
        await context.close()
