"""CPU-bound work of one request, run on the event loop in slices so other tenants' requests
keep being served.

Why slices on the loop rather than a thread pool: parsing is pure Python, so under the GIL a
thread would not run beside the loop anyway, it would contend with it for the interpreter, and
its result would need copying back. A yield every millisecond bounds the delay any other
request sees, keeps one request's work in one place (cancelled with it when the client leaves)
and costs a few microseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from typing import TypeVar

T = TypeVar("T")

# Another request advances one step (up to its next await) per turn, and storing a single event
# takes some thirty steps (auth, rate limit, each database round trip): the slice is what each
# of its steps may wait, so it is kept short. A turn costs ~10 µs, 1% of a 1 ms slice.
SLICE_SECONDS = 0.001


async def cooperative(items: Iterable[T], *, slice_seconds: float = SLICE_SECONDS) -> AsyncGenerator[T, None]:
    """The items of a lazy (sync) iterable, giving the loop a turn whenever a slice is used up.

    Each item must be cheap on its own: the slice is checked between items."""
    clock = time.perf_counter
    deadline = clock() + slice_seconds
    for item in items:
        yield item
        if clock() > deadline:
            await asyncio.sleep(0)
            deadline = clock() + slice_seconds


async def take_at_most(items: Iterable[T], limit: int) -> list[T] | None:
    """Up to `limit` items, pulled cooperatively; None as soon as there is a `limit + 1`st
    (so nothing past it is ever produced)."""
    taken: list[T] = []
    async with aclosing(cooperative(items)) as pulled:
        async for item in pulled:
            if len(taken) == limit:
                return None
            taken.append(item)
    return taken
