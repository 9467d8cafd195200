"""Waiting on an observable condition, with a deadline: the tests' one substitute for sleeping
a guessed time (CI is busy and has 2 cores)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, within: float, what: str, every: float = 0.05) -> T:
    """The first truthy result of `check`, polled every `every` seconds; fails after `within`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result:
            return result
        if loop.time() >= deadline:
            pytest.fail(f"not within {within}s: {what} (last: {result!r})")
        await asyncio.sleep(every)


async def until(
    condition: Callable[[], Awaitable[bool]], *, within: float = 60, poll: float = 0.1, what: str = "condition"
) -> None:
    """Return as soon as `condition()` holds; fail naming `what` once `within` seconds have passed."""
    await eventually(condition, within=within, what=what, every=poll)
