"""Group commit: concurrent ingest requests share one transaction.

A request hands its events to the writer and waits. At most `max_inflight` transactions run at
once; whatever arrives while they run is gathered into the next one. Light load thus pays no extra
wait (a lone request commits at once), and heavy load gets large batches and few commits. A request
is answered only after the transaction holding its events has committed: 201 means durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.commit_order import CommitSpan
from src.domain.errors import Conflict, DomainError
from src.domain.ids import new_id
from src.domain.logs import LogEvent, StoredRef
from src.domain.ports.ingest_metrics import IngestMetrics, NoMetrics
from src.domain.ports.log_repository import IdempotencyClaim
from src.domain.ports.partition_maintainer import PartitionMaintainer
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskType
from src.domain.wire import rfc3339

logger = logging.getLogger(__name__)

Outcome = StoredRef | Conflict


@dataclass(frozen=True, slots=True)
class Committed:
    """One tenant's share of a committed group: its outbox task and the events it stored."""

    task: AsyncTask
    events: list[LogEvent]


@dataclass(slots=True)
class _Request:
    tenant_id: UUID
    user_id: str | None
    events: Sequence[LogEvent]
    request_hashes: Sequence[str | None]
    future: asyncio.Future[list[Outcome]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitWriter:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        partitions: PartitionMaintainer,
        *,
        max_batch_events: int = 10_000,
        max_inflight: int = 2,
        metrics: IngestMetrics | None = None,
        after_commit: Callable[[list[Committed]], Awaitable[object]] | None = None,
        partition_horizon_days: int = 62,
    ) -> None:
        self._uow_factory = uow_factory
        self._partitions = partitions
        self._max_batch_events = max_batch_events
        self._slots = asyncio.Semaphore(max_inflight)
        self._metrics = metrics or NoMetrics()
        self._partition_horizon_days = partition_horizon_days
        # Announces the committed outbox rows (publishing to the queue); runs after the answer.
        self._after_commit = after_commit
        self._announcing: set[asyncio.Task[None]] = set()
        self._queue: list[_Request] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    async def write(
        self,
        *,
        tenant_id: UUID,
        user_id: str | None,
        events: Sequence[LogEvent],
        request_hashes: Sequence[str | None] | None = None,
    ) -> list[Outcome]:
        """Store events durably; one outcome per event, in order."""
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="group-commit")
        request = _Request(tenant_id, user_id, events, request_hashes or [None] * len(events))
        self._queue.append(request)
        self._wakeup.set()
        return await request.future

    async def close(self) -> None:
        """Finish what was handed in, then stop."""
        while self._queue or self._flushes or self._announcing:
            self._wakeup.set()
            await asyncio.sleep(0.005)
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                await self._slots.acquire()
                batch = self._take()
                task = asyncio.create_task(self._flush(batch))
                self._flushes.add(task)
                task.add_done_callback(self._flushes.discard)

    def _take(self) -> list[_Request]:
        taken: list[_Request] = []
        count = 0
        while self._queue and (not taken or count + len(self._queue[0].events) <= self._max_batch_events):
            request = self._queue.pop(0)
            taken.append(request)
            count += len(request.events)
        return taken

    async def _flush(self, batch: list[_Request]) -> None:
        started = time.perf_counter()
        try:
            try:
                outcomes, tasks = await self._commit(batch)
            except DomainError:
                raise
            except Exception:
                if len(batch) == 1:
                    raise
                # One request's bad data must not fail its neighbours: retry each on its own.
                logger.warning("group commit of %d requests failed; retrying one by one", len(batch))
                for request in batch:
                    await self._flush_one(request)
                return
            for request, result in zip(batch, outcomes, strict=True):
                if not request.future.done():
                    request.future.set_result(result)
            self._announce(tasks)
            self._metrics.observe_commit(
                events=sum(len(r.events) for r in batch),
                requests=len(batch),
                seconds=time.perf_counter() - started,
            )
        except Exception as e:
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(e)
        finally:
            self._slots.release()

    async def _flush_one(self, request: _Request) -> None:
        try:
            (result,), tasks = await self._commit([request])
            request.future.set_result(result)
            self._announce(tasks)
        except Exception as e:
            request.future.set_exception(e)

    async def _ensure_partitions(self, batch: list[_Request]) -> None:
        """Daily partitions for recent days only: a backfill of years must not create a table per day
        (older rows go to the default partition). Failing here is not fatal for the same reason."""
        horizon = datetime.now(UTC).date() - timedelta(days=self._partition_horizon_days)
        # Ingest settles times to UTC; `astimezone` is a call per event even then, so only for others.
        days = {
            (e.timestamp if e.timestamp.tzinfo is UTC else e.timestamp.astimezone(UTC)).date()
            for r in batch
            for e in r.events
        }
        try:
            await self._partitions.ensure_days(d for d in days if d >= horizon)
        except Exception:
            logger.warning("could not prepare partitions for %s; rows go to the default partition", sorted(days))

    def _announce(self, tasks: list[Committed]) -> None:
        if not tasks or self._after_commit is None:
            return
        task = asyncio.create_task(self._announce_now(tasks))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _announce_now(self, tasks: list[Committed]) -> None:
        assert self._after_commit is not None
        try:
            await self._after_commit(tasks)
        except Exception:
            # Nothing is lost: the rows are committed and `pending`; the outbox relay publishes them.
            logger.warning("publishing %d committed task(s) failed; the relay will retry", len(tasks), exc_info=True)

    async def _commit(self, batch: list[_Request]) -> tuple[list[list[Outcome]], list[Committed]]:
        await self._ensure_partitions(batch)
        by_tenant: dict[UUID, list[int]] = {}
        for i, request in enumerate(batch):
            by_tenant.setdefault(request.tenant_id, []).append(i)
        outcomes: list[list[Outcome]] = [[] for _ in batch]
        tasks: list[Committed] = []
        async with self._uow_factory() as uow:
            # Tenants in one order in every group: each holds its tenant's commit-order lock from its
            # last statement to the commit, and a fixed order means two groups never wait on each other.
            for tenant_id, indexes in sorted(by_tenant.items()):
                await uow.act_as_tenant(tenant_id)
                task = await self._write_tenant(
                    uow, tenant_id, [batch[i] for i in indexes], [outcomes[i] for i in indexes]
                )
                if task is not None:
                    tasks.append(task)
            await uow.commit()
        return outcomes, tasks

    async def _write_tenant(
        self, uow: UnitOfWork, tenant_id: UUID, requests: list[_Request], outcomes: list[list[Outcome]]
    ) -> Committed | None:
        # First sight of each client id in this batch; later sights resolve to the same event.
        claims: dict[str, IdempotencyClaim] = {}
        for request in requests:
            for event, request_hash in zip(request.events, request.request_hashes, strict=True):
                if event.client_id is not None and event.client_id not in claims:
                    claims[event.client_id] = IdempotencyClaim(
                        client_id=event.client_id,
                        log_id=event.id,
                        timestamp=event.timestamp,
                        request_hash=request_hash,
                    )
        earlier = await uow.logs.claim_client_ids(tenant_id=tenant_id, claims=list(claims.values()))
        winners = {**claims, **earlier}
        to_store: list[LogEvent] = []
        for request, out in zip(requests, outcomes, strict=True):
            for event, request_hash in zip(request.events, request.request_hashes, strict=True):
                if event.client_id is None:
                    to_store.append(event)
                    out.append(StoredRef(id=event.id, timestamp=event.timestamp, created=True))
                    continue
                claim = winners[event.client_id]
                if claim.request_hash != request_hash:
                    out.append(
                        Conflict(
                            "this idempotency key was used before with a different request body",
                            code="idempotency_key_reused",
                            details={"idempotency_key": event.client_id},
                        )
                    )
                elif claim.log_id == event.id:
                    to_store.append(event)
                    out.append(StoredRef(id=event.id, timestamp=event.timestamp, created=True))
                else:
                    out.append(StoredRef(id=claim.log_id, timestamp=claim.timestamp, created=False))
        if not to_store:
            return None
        await uow.logs.add_many(events=to_store)
        user_ids = {r.user_id for r in requests}
        log_ids = [e.id for e in to_store]
        span = CommitSpan.of(log_ids)
        # The transactional outbox: the reindex task commits with the rows it announces. It names
        # them by their commit's span (its ids are in the commit order's entry, written below);
        # `from` and `to` bound them for when that entry is gone (see `IndexTasks`).
        task = AsyncTask(
            task_id=new_id(),
            tenant_id=tenant_id,
            task_type=TaskType.REINDEX,
            user_id=user_ids.pop() if len(user_ids) == 1 else None,
            payload={
                "commit": span.to_payload(),
                "from": rfc3339(min(e.timestamp for e in to_store)),
                "to": rfc3339(max(e.timestamp for e in to_store)),
                "count": len(to_store),
            },
        )
        await uow.tasks.add_many(tasks=[task])
        # Last for this tenant: the events' place in commit order (a resuming live stream replays
        # from it), taken under a lock held until commit so that order is the commit order.
        await uow.commit_order.record(tenant_id=tenant_id, log_ids=log_ids, span=span)
        self._metrics.observe_stored(
            tenant_id=tenant_id, events=len(to_store), bytes_=sum(len(e.message) for e in to_store)
        )
        return Committed(task, to_store)
