"""Supervision every worker loop runs under, and the pieces the task runner (`workers/task_runner.py`) shares.

    supervise ──▶ a loop that raises or returns is logged with its traceback and restarted with
                  exponential backoff and jitter (never left a silent zombie)
    run_loops ──▶ all of a worker's loops, supervised, plus its heartbeat status file

A fault rule is changed here or in the task runner, once, for every worker. Stop (SIGINT/SIGTERM)
lets the messages in hand complete within a grace period (`stop_grace_seconds`), then cancels them;
unacknowledged ones come back when their visibility ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from src.domain.errors import DependencyUnavailable
from src.domain.ports.outbox import OutboxStore
from src.domain.tasks import TaskType
from src.entrypoints.settings import WorkerSettings
from src.usecases.publish_tasks import PublishTasks, RelayOutbox
from workers.heartbeat import Heartbeats

logger = logging.getLogger(__name__)

Iteration = Callable[[], Awaitable[object]]
Loop = Callable[[], Awaitable[None]]


class Backoff:
    """Exponential with "equal jitter": half the delay fixed, half random, so restarting
    consumers do not stampede a dependency that has just come back."""

    def __init__(self, *, base: float, cap: float) -> None:
        self._base, self._cap, self._attempt = base, cap, 0

    def next(self) -> float:
        delay = float(min(self._cap, self._base * 2**self._attempt))
        self._attempt = min(self._attempt + 1, 30)
        return delay / 2 + random.uniform(0, delay / 2)

    def reset(self) -> None:
        self._attempt = 0


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def supervise(name: str, loop: Loop, *, stop: asyncio.Event, beats: Heartbeats, cap: float = 60.0) -> None:
    """Run `loop` until stopped; one that raises or returns early is restarted, never left dead."""
    backoff = Backoff(base=1.0, cap=cap)
    while not stop.is_set():
        try:
            await loop()
            if stop.is_set():
                return
            error = "the loop returned while the worker was running"
            logger.error("%s: %s; restarting", name, error)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            logger.exception("%s died; restarting", name)
        beats.restarted(name, error)
        await sleep_or_stop(stop, backoff.next())


async def run_loops(
    loops: Mapping[str, Loop],
    *,
    stop: asyncio.Event,
    beats: Heartbeats,
    cfg: WorkerSettings,
) -> None:
    """All of a worker's loops, each supervised, plus its status file, until stopped.

    Once stopped, the loops get `cfg.stop_grace_seconds` to finish what they hold; then they are cancelled.
    Cancelling is safe: every task commits its outcome with its work, and a message is acknowledged
    only after that commit, so what was cut off comes back when its visibility ends."""

    async def publish_status() -> None:
        while not stop.is_set():
            beats.write()
            await sleep_or_stop(stop, 2.0)

    cap, grace = cfg.max_backoff_seconds, cfg.stop_grace_seconds
    running: asyncio.Future[Any] = asyncio.gather(
        publish_status(), *(supervise(name, loop, stop=stop, beats=beats, cap=cap) for name, loop in loops.items())
    )
    stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            await asyncio.wait({running}, timeout=grace)
        if running.done():
            running.result()
            return
        logger.warning("still busy %.0f s after being stopped: cancelling the work in hand", grace)
        running.cancel()
        await asyncio.wait({running})  # returns once the loops have unwound, without raising their cancel
    finally:
        stopping.cancel()
        if not running.done():  # this coroutine itself was cancelled
            running.cancel()
        beats.remove()


async def run_periodic(
    name: str,
    iteration: Iteration,
    *,
    every: float,
    stop: asyncio.Event,
    beats: Heartbeats | None = None,
    first_after: float = 0.0,
) -> None:
    """Call `iteration` every `every` seconds (the first time after `first_after`); a failure is
    logged and retried next round."""

    async def idle(seconds: float, state: str = "idle") -> None:
        # A loop that runs once an hour is alive in between: it beats while it waits.
        deadline = asyncio.get_running_loop().time() + seconds
        while not stop.is_set():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            if beats is not None:
                beats.beat(name, state=state)
            await sleep_or_stop(stop, min(left, 30.0))

    await idle(first_after)
    while not stop.is_set():
        state = "idle"
        try:
            result = await iteration()
            if result:
                logger.info("%s: %s", name, result)
        except DependencyUnavailable as e:
            state = "waiting for a dependency"
            if beats is not None:
                beats.beat(name, state=state, error=e.message)
            logger.warning("%s: %s; retrying in %.0f s", name, e.message, every)
        except Exception as e:
            state = "failing"
            if beats is not None:
                beats.beat(name, state=state, error=repr(e))
            logger.exception("%s failed; retrying in %.0f s", name, every)
        await idle(every, state)


def relay_loop(
    store: OutboxStore,
    publish: PublishTasks,
    types: frozenset[TaskType],
    *,
    interval: float,
    stale_after: float,
    unpublished_after: float,
    lost_after: float,
    stop: asyncio.Event,
    beats: Heartbeats,
) -> tuple[str, Loop]:
    """The outbox relay for these task types, as one of the worker's loops."""
    relay = RelayOutbox(
        store,
        publish,
        types=types,
        stale_after=timedelta(seconds=stale_after),
        unpublished_after=timedelta(seconds=unpublished_after),
        lost_after=timedelta(seconds=lost_after),
    )
    label = "/".join(sorted(t.value for t in types)) + " relay"
    return label, lambda: run_periodic(label, relay.execute, every=interval, stop=stop, beats=beats)
