"""A token bucket per key: `rate` tokens a second, at most `burst` saved up. The clock is injected."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class TokenBuckets(Generic[K]):
    def __init__(self, *, rate: float, burst: float, clock: Callable[[], float], max_keys: int = 10_000) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[K, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: K, wanted: int) -> int:
        """How many of `wanted` tokens are granted now (0 … wanted); those granted are spent."""
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        granted = min(wanted, int(tokens))
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()  # bounded: a forgotten key starts again with a full bucket
        self._buckets[key] = (tokens - granted, now)
        return granted
