"""Port: a slow, salted password hash (argon2id in production).

Async because a hash costs tens of milliseconds of CPU by design: the adapter runs it off the
event loop, so one login does not stall every other request of the process."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class PasswordHasher(Protocol):
    @abstractmethod
    async def hash(self, password: str) -> str: ...

    @abstractmethod
    async def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; False for a mismatch or an unreadable hash."""

    @abstractmethod
    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's."""
