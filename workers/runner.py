"""Runs worker loops until SIGINT/SIGTERM, then lets the current iteration finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

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
