"""The task-running template every queue consumer uses: receive → (claim → run → record) → ack or back off.

receive ──▶ the use case (claim/run/record through TaskLifecycle) ──▶ ack what it finished
   │               │
   │               └─ DependencyUnavailable ─▶ park the messages (visibility backed off
   │                    exponentially), stop receiving, probe the dependency with backoff;
   │                    when it answers: unpark, redrive the dead-letter queue, go on
   └─ any other error ─▶ log, back off with jitter; the messages come back by themselves
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from src.domain.errors import DependencyUnavailable
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.usecases.redrive_dead_letters import RedriveDeadLetters
from workers.heartbeat import Heartbeats
from workers.runner import Backoff, sleep_or_stop

logger = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[None]]
# Handles one receive; answers the receipts to acknowledge.
BatchHandler = Callable[[Sequence[QueueMessage]], Awaitable[list[str]]]
Handler = Callable[[QueueMessage], Awaitable[bool]]


def _dependency(e: DependencyUnavailable) -> str:
    if isinstance(e.details, dict):
        return str(e.details.get("dependency", "unknown"))
    return "unknown"


class DependencyGate:
    """Shared by a worker's consumers: while a dependency is down none of them receives (so no
    delivery is spent on an outage) and one of them probes it with backoff."""

    def __init__(self, probes: dict[str, Probe], *, beats: Heartbeats, cap: float) -> None:
        self._probes = probes
        self._beats = beats
        self._cap = cap
        self._down: dict[str, str] = {}
        self._lock = asyncio.Lock()

    @property
    def down(self) -> bool:
        return bool(self._down)

    def trip(self, e: DependencyUnavailable) -> None:
        name = _dependency(e)
        if name not in self._down:
            logger.warning("%s is down (%s): pausing tasks until it answers", name, e.message)
            self._beats.waiting(name, True)
        self._down[name] = e.message

    async def wait_until_up(self, stop: asyncio.Event, loop: str) -> bool:
        """Probe until every tripped dependency answers; True when this call saw it come back."""
        async with self._lock:
            if not self._down:
                return False
            backoff = Backoff(base=0.5, cap=self._cap)
            while self._down and not stop.is_set():
                for name in list(self._down):
                    probes = [self._probes[name]] if name in self._probes else list(self._probes.values())
                    try:
                        for probe in probes:
                            await probe()
                    except Exception as e:
                        self._beats.beat(loop, state=f"waiting for {name}", error=str(e)[:200])
                        continue
                    logger.info("%s answers again: resuming tasks", name)
                    self._beats.waiting(name, False)
                    del self._down[name]
                if self._down:
                    await sleep_or_stop(stop, backoff.next())
            return not self._down


class TaskRunner:
    """receive → (claim → run → record: the use case) → ack, or back off; one per queue."""

    def __init__(
        self,
        queue: TaskQueue,
        name: str,
        handle: BatchHandler,
        *,
        gate: DependencyGate,
        beats: Heartbeats,
        redrive: RedriveDeadLetters | None,
        wait_seconds: int,
        visibility_seconds: int,
        max_backoff: float,
        park_cap_seconds: int = 300,
    ) -> None:
        self._queue = queue
        self._name = name
        self._handle = handle
        self._gate = gate
        self._beats = beats
        self._redrive = redrive
        self._wait = wait_seconds
        self._visibility = visibility_seconds
        self._max_backoff = max_backoff
        self._park_cap = park_cap_seconds
        self._parked: list[str] = []

    async def run(self, stop: asyncio.Event, loop: str) -> None:
        backoff = Backoff(base=0.5, cap=self._max_backoff)
        while not stop.is_set():
            self._beats.beat(loop)
            if self._gate.down:
                if await self._gate.wait_until_up(stop, loop):
                    await self._recovered()
                continue
            try:
                messages = await self._queue.receive(queue=self._name, wait_seconds=self._wait)
            except DependencyUnavailable as e:
                self._gate.trip(e)
                continue
            if not messages:
                continue
            try:
                done = await self._handle(messages)
                if done:
                    await self._queue.ack(queue=self._name, receipts=done)
                backoff.reset()
            except DependencyUnavailable as e:
                self._gate.trip(e)
                await self._park(messages)
            except Exception:
                delay = backoff.next()
                logger.exception("%s: handling %d messages failed; retrying in %.1f s", loop, len(messages), delay)
                self._beats.beat(loop, state="backing off")
                await sleep_or_stop(stop, delay)

    async def _park(self, messages: Sequence[QueueMessage]) -> None:
        """Keep the messages away for an exponentially growing time (by delivery), remembering them
        so that they come back at once when the dependency does."""
        for message in messages:
            seconds = min(self._park_cap, self._visibility * 2 ** max(0, message.receive_count - 1))
            try:
                await self._queue.extend(queue=self._name, receipt=message.receipt, seconds=seconds)
                self._parked.append(message.receipt)
            except Exception as e:  # already acknowledged, or the queue is down too: it returns by itself
                logger.debug("parking a message failed: %s", e)

    async def _recovered(self) -> None:
        parked, self._parked = self._parked, []
        for receipt in parked:
            with contextlib.suppress(Exception):
                await self._queue.extend(queue=self._name, receipt=receipt, seconds=0)
        if self._redrive is not None:
            try:
                await self._redrive.execute(self._name)
            except Exception as e:
                logger.warning("redriving %s-dlq failed: %s", self._name, e)


def one_by_one(handle: Handler) -> BatchHandler:
    """A per-message use case as a batch handler: each message in hand completes before the next."""

    async def batch(messages: Sequence[QueueMessage]) -> list[str]:
        done: list[str] = []
        for message in messages:
            if await handle(message):
                done.append(message.receipt)
        return done

    return batch
