"""A short-lived in-process cache of key and tenant lookups.

Authentication runs on every request; the cache keeps it off the database. Entries live `ttl`
seconds, so a revocation or suspension made through another process takes effect within that
bound; one made through this process takes effect at once (`forget`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeAlias, TypeVar
from uuid import UUID

from src.domain.credentials import ApiKey

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, *, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] < self._clock():
            self._items.pop(key, None)
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        if len(self._items) >= self._max:
            self._items.clear()  # crude but bounded: a burst of distinct keys cannot grow memory
        self._items[key] = (self._clock() + self._ttl, value)

    def forget(self, predicate: Callable[[K, V], bool]) -> None:
        for key in [k for k, (_, v) in self._items.items() if predicate(k, v)]:
            self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


# Keys are cached by their hash (API key presented) and by their id (token minted from a key);
# the two never collide (32-byte digest vs UUID), and one `forget` clears both on revocation.
KeyCache: TypeAlias = TtlCache[bytes | UUID, ApiKey | None]
