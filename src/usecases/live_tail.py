"""Use case: a tenant's live stream — committed events, filtered, with backpressure and resume."""

from __future__ import annotations

import asyncio
import contextlib
import math
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from src.domain.commit_order import CommitPosition
from src.domain.credentials import Principal, Scope
from src.domain.errors import DependencyUnavailable, DomainError, RateLimited
from src.domain.logs import LogEvent, public_view
from src.domain.ports.event_bus import EventBus, Subscription
from src.domain.ports.stream_slots import StreamLease, StreamSlots
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.stream_filter import StreamFilter
from src.domain.wire import to_json
from src.usecases.identity_memo import IdentityMemo

REPLAY_PAGE = 1000
# Put in the queue by `end` to wake a waiting `next`; never handed to the client.
_WAKE: dict[str, Any] = {}
END: dict[str, Any] = {"type": "end"}
# The texts of the last 256 live events: a burst's fan-out (every session sends it within a loop turn
# or two) with room for clients a little behind. 4,096 kept ~8 s of events alive and the quiet
# benchmark runs had a higher p99 with it (42-62 ms against 27-47 ms at 500 events/s): fewer
# long-lived objects for the garbage collector, a lagging client re-encodes.
FRAME_CACHE_SIZE = 256


class _Notice(dict[str, Any]):
    """A message for the client queued among the events, so it arrives in its place (after the
    replay it is about), not ahead of events still waiting."""


def _log_text(event: dict[str, Any]) -> str:
    return orjson.dumps({"type": "log", "data": event}).decode()


class FrameCache(IdentityMemo[dict[str, Any], str]):
    """The JSON text of a live event's `{"type": "log", "data": event}` message, encoded once per
    process rather than once per client.

    The bus decodes a published batch once and hands the same event dicts to every session of the
    tenant in this process, so a fan-out to 100 clients encoded the same text 100 times (1.6 of the ~10 µs of
    the WebSocket API's CPU per delivered message, bench/results/stream_export.md). Events are not
    changed once published, which is what makes a cached text stay true."""

    def __init__(self, size: int = FRAME_CACHE_SIZE) -> None:
        super().__init__(_log_text, size)

    def log_frame(self, event: dict[str, Any]) -> str:
        return self.get(event)


class TailSession:
    """One client's view. The bus's reader hands batches to `_deliver`, which never blocks: when the
    client's bounded queue is full, events are counted as dropped and the client is told so."""

    def __init__(
        self, principal: Principal, flt: StreamFilter, queue_size: int, frames: FrameCache | None = None
    ) -> None:
        self._frames = frames or FrameCache()
        self.principal = principal  # what the credential stood for at connect
        self.tenant_id = principal.tenant_id
        self.filter = flt
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_size)
        self._dropped = 0
        self._replaying = True
        self._held: list[dict[str, Any]] = []
        self._seen: set[str] = set()
        self._notice: _Notice | None = None  # met by `ready` in a burst: `next` hands it out first
        self._subscription: Subscription | None = None
        self._replay_task: asyncio.Task[None] | None = None
        self._lease: StreamLease | None = None
        self.subscribed_at = datetime.max.replace(tzinfo=UTC)  # set once the bus confirmed the subscription
        self.ended: DomainError | None = None

    def end(self, reason: DomainError) -> None:
        """Stop the stream: `next` returns END from now on (at once, even while waiting)."""
        self.ended = reason
        with contextlib.suppress(asyncio.QueueFull):  # a full queue wakes `next` anyway
            self._queue.put_nowait(_WAKE)

    def _bus_lost(self) -> None:
        # Events published while the bus was down never reach us: end the stream so the client
        # resumes with since_id (its last id), which replays the gap from PostgreSQL.
        self.end(
            DependencyUnavailable(
                "the live stream was interrupted (its event bus went away); reconnect with since_id "
                "set to the last id received to get what was missed",
                code="stream_interrupted",
                details={"dependency": "redis"},
            )
        )

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        for event in batch:
            if not self.filter.matches(event):
                continue
            if self._replaying:
                # Arrived live while the past is being replayed: sent after it, unless replayed.
                if len(self._held) < self._queue.maxsize:
                    self._held.append(event)
                else:
                    self._dropped += 1
                continue
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                self._dropped += 1

    async def _replay(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self._seen.add(str(event["id"]))
            if self.filter.matches(event):
                await self._queue.put(event)  # replay is pulled: waiting here is the backpressure

    async def _replay_truncated(self, *, replayed: int, last_id: str | None, unread: LogEvent | None) -> None:
        """The replay stopped at its limit: say so when `unread` (the first stored event it did not
        send) will not arrive live either, rather than skip to live silently.

        An event received after this stream subscribed was committed, and so published, after the
        subscription: it arrives live. One already held (published live during the replay) is not
        missing either. (One received before and published after the subscription is missing from
        neither, yet gets the notice: a request in flight at the moment of subscribing.)"""
        if unread is None or unread.received_at > self.subscribed_at:
            return
        wanted = str(unread.id)
        if any(str(event["id"]) == wanted for event in self._held):
            return
        await self._queue.put(_Notice(type="replay_truncated", replayed=replayed, last_id=last_id))

    def _go_live(self) -> None:
        for event in self._held:
            if str(event["id"]) not in self._seen:
                try:
                    self._queue.put_nowait(event)
                except asyncio.QueueFull:
                    self._dropped += 1
        self._held.clear()
        self._seen.clear()
        self._replaying = False

    async def next(self, wait: float) -> dict[str, Any] | None:
        """The next message for the client, None when nothing came within `wait` seconds, or END."""
        if self.ended is not None:
            return END
        if self._notice is not None:
            notice, self._notice = self._notice, None
            return notice
        if self._dropped and not self._queue.full():
            count, self._dropped = self._dropped, 0
            return {"type": "dropped", "count": count}
        try:
            # Most calls find an event waiting: no timer, no task (the hot path of every frame).
            event = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            try:
                async with asyncio.timeout(wait):
                    event = await self._queue.get()
            except TimeoutError:
                return None
        if event is _WAKE or self.ended is not None:
            return END
        if type(event) is _Notice:
            return event
        return {"type": "log", "data": event}

    def text(self, message: dict[str, Any]) -> str:
        """A message of `next` as JSON text; a live event's is shared by every session of this process
        (encoded once, not once per client)."""
        if message["type"] == "log":
            return self._frames.log_frame(message["data"])
        return orjson.dumps(message).decode()

    def ready(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` events already waiting, without waiting (to send a burst as one frame)."""
        events: list[dict[str, Any]] = []
        while len(events) < limit:
            try:
                event = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if event is _WAKE:
                break  # `ended` is set: the next call to `next` says so
            if type(event) is _Notice:
                self._notice = event  # not an event: `next` hands it out, after this burst
                break
            events.append(event)
        return events

    async def close(self) -> None:
        if self._replay_task is not None:
            self._replay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replay_task
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
        if self._lease is not None:
            await self._lease.release()
            self._lease = None


class LiveTail:
    """Rules:
    - `read` scope; a client sees only its own tenant's events, and only after they are committed;
    - with `since_id`, what was committed after that event (in commit order, not id order: ids are
      drawn before commit) is replayed from PostgreSQL first, then the live stream continues with no gap (subscribed before the replay) and no duplicate (events
      seen in the replay are skipped);
    - a slow client loses events (and is told how many), never slows others or grows memory;
    - a tenant holds at most `max_streams` streams at once, across API processes (429 beyond);
    - a replay costs `replay_cost` units of the tenant's request budget (charged by the caller),
      one per page it may read;
    - a replay stops after `replay_limit` events; when more were stored before the stream
      subscribed (what came later arrives live), the client is told so (`replay_truncated`, with
      the last id replayed) before the live events, never skipped silently.
    """

    def __init__(
        self,
        bus: EventBus,
        uow_factory: UnitOfWorkFactory,
        slots: StreamSlots,
        *,
        queue_size: int = 1000,
        replay_limit: int = 10_000,
        max_streams: int = 50,
    ) -> None:
        self._bus = bus
        self._uow_factory = uow_factory
        self._slots = slots
        self._queue_size = queue_size
        self._replay_limit = replay_limit
        self._max_streams = max_streams
        self._frames = FrameCache()  # one per process: every session of every tenant shares it

    @property
    def replay_cost(self) -> int:
        return max(1, math.ceil(self._replay_limit / REPLAY_PAGE))

    async def open(self, *, principal: Principal, flt: StreamFilter, since_id: UUID | None) -> TailSession:
        principal.require(Scope.READ)
        lease = await self._slots.acquire(tenant_id=principal.tenant_id, limit=self._max_streams)
        if lease is None:
            raise RateLimited(
                f"this tenant already has {self._max_streams} live streams open, the most allowed",
                code="too_many_streams",
                retry_after=5,
                details={"max_streams": self._max_streams},
            )
        session = TailSession(principal, flt, self._queue_size, self._frames)
        session._lease = lease
        try:
            # Subscribe before reading the past: nothing committed meanwhile can fall in between.
            session._subscription = await self._bus.subscribe(
                tenant_id=principal.tenant_id, deliver=session._deliver, on_lost=session._bus_lost
            )
        except BaseException:
            await session.close()
            raise
        session.subscribed_at = datetime.now(UTC)
        if since_id is None:
            session._go_live()
        else:
            # In the background: the client consumes the replay as it is read.
            session._replay_task = asyncio.create_task(self._replay(session, principal.tenant_id, since_id))
        return session

    async def _replay(self, session: TailSession, tenant_id: UUID, since_id: UUID) -> None:
        try:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                position = await uow.commit_order.position(tenant_id=tenant_id, log_id=since_id)
            if position is None:
                await self._replay_by_id(session, tenant_id, since_id)
            else:
                await self._replay_by_commit(session, tenant_id, position)
        finally:
            session._go_live()

    async def _replay_by_commit(self, session: TailSession, tenant_id: UUID, after: CommitPosition) -> None:
        """What committed after the group that held since_id (and what followed it in that group):
        a lower id that committed later is replayed too, which id order would skip."""
        replayed, last_id = 0, None
        while replayed < self._replay_limit:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                page = await uow.commit_order.events_after(
                    tenant_id=tenant_id, after=after, limit=min(REPLAY_PAGE, self._replay_limit - replayed)
                )
            if page.last is None:
                return
            await session._replay([orjson.loads(to_json(public_view(e))) for e in page.events])
            replayed += len(page.events)
            last_id = str(page.events[-1].id) if page.events else last_id
            after = page.last
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            more = await uow.commit_order.events_after(tenant_id=tenant_id, after=after, limit=1)
        await session._replay_truncated(replayed=replayed, last_id=last_id, unread=next(iter(more.events), None))

    async def _replay_by_id(self, session: TailSession, tenant_id: UUID, since_id: UUID) -> None:
        """since_id has no known commit position (stored before commit order was kept, or older than
        what is kept): id order is the best approximation there is."""
        after, replayed = since_id, 0
        while replayed < self._replay_limit:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                page = await uow.reader.after_id(
                    tenant_id=tenant_id, after=after, limit=min(REPLAY_PAGE, self._replay_limit - replayed)
                )
            if not page:
                return
            await session._replay([orjson.loads(to_json(public_view(e))) for e in page])
            replayed += len(page)
            after = page[-1].id
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            more = await uow.reader.after_id(tenant_id=tenant_id, after=after, limit=1)
        await session._replay_truncated(replayed=replayed, last_id=str(after), unread=next(iter(more), None))
