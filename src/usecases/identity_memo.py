"""A value computed once per object, for the last few objects: a fan-out hands the same object to
many receivers (a live event to every session of its tenant, its text to every connection), and
each would otherwise compute the same encoding again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """`compute(key)` for the last `size` keys, remembered by identity (keys need not be hashable,
    and equal keys are not confused). An entry holds its key, so the key's id cannot be reused by
    another object while the entry lives; beyond `size` the oldest go first (a miss only costs one
    `compute`). Keys must not change while remembered."""

    def __init__(self, compute: Callable[[K], V], size: int) -> None:
        self._compute = compute
        self._size = size
        self._entries: dict[int, tuple[K, V]] = {}

    def get(self, key: K) -> V:
        entry = self._entries.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        value = self._compute(key)
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]  # dicts keep insertion order: the oldest
        self._entries[id(key)] = (key, value)
        return value
