"""Port: login sessions, stored by the hash of their secret so they can expire and be revoked."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol
from uuid import UUID

from src.domain.users import ActiveSession, UserSession


class UserSessionRepository(Protocol):
    @abstractmethod
    async def add(self, *, session: UserSession) -> None: ...

    @abstractmethod
    async def find_by_hash(self, *, token_hash: bytes) -> ActiveSession | None:
        """Find a session and its user before any tenant is known (the one cross-tenant read)."""

    @abstractmethod
    async def revoke(self, *, tenant_id: UUID, session_id: UUID, at: datetime) -> bool: ...

    @abstractmethod
    async def revoke_all_of(self, *, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        """End every live session of a user (disabled, demoted, password reset, deleted)."""
