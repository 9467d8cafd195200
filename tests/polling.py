"""Waiting on an observable condition, with a deadline: the tests' one substitute for sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def until(
    condition: Callable[[], Awaitable[bool]], *, within: float = 60, poll: float = 0.1, what: str = "condition"
) -> None:
    """Return as soon as `condition()` holds; fail naming `what` once `within` seconds have passed."""
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not reached within {within} s")
        await asyncio.sleep(poll)
