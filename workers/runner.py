"""Runs worker loops until SIGINT/SIGTERM, then lets the current iteration finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta

from src.domain.errors import DependencyUnavailable
from src.domain.ports.outbox import OutboxStore
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.tasks import TaskType
from src.entrypoints.settings import Settings
from src.usecases.publish_tasks import PublishTasks, RelayOutbox

logger = logging.getLogger(__name__)

Iteration = Callable[[], Awaitable[object]]


async def run_periodic(name: str, iteration: Iteration, *, every: float, stop: asyncio.Event) -> None:
    """Call `iteration` every `every` seconds; a failure is logged and retried next round."""
    while not stop.is_set():
        try:
            result = await iteration()
            if result:
                logger.info("%s: %s", name, result)
        except Exception:
            logger.exception("%s failed; retrying in %.0f s", name, every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


Handler = Callable[[QueueMessage], Awaitable[bool]]


async def consume(queue: TaskQueue, name: str, handle: Handler, *, wait_seconds: int, stop: asyncio.Event) -> None:
    """Receive from one queue until stopped; acknowledge what `handle` says is done.

    A message in hand always completes (a stop signal is only looked at between receives); one
    not acknowledged comes back after its visibility timeout, or goes to the dead-letter queue.
    """
    while not stop.is_set():
        try:
            messages = await queue.receive(queue=name, wait_seconds=wait_seconds)
        except DependencyUnavailable as e:
            logger.warning("%s queue unavailable (%s); retrying in 5 s", name, e.message)
            await sleep_or_stop(stop, 5.0)
            continue
        done = [m.receipt for m in messages if await handle(m)]
        if done:
            await queue.ack(queue=name, receipts=done)


def relay_loop(
    store: OutboxStore, publish: PublishTasks, types: frozenset[TaskType], settings: Settings, stop: asyncio.Event
) -> asyncio.Task[None]:
    """The outbox relay for these task types, as a background loop of the worker."""
    relay = RelayOutbox(store, publish, types=types, stale_after=timedelta(seconds=settings.worker.relay_stale_seconds))
    label = "/".join(sorted(t.value for t in types)) + " relay"
    return asyncio.create_task(
        run_periodic(label, relay.execute, every=settings.worker.relay_interval_seconds, stop=stop)
    )
