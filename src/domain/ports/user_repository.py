"""Port: a tenant's human users."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from src.domain.users import User


class UserRepository(Protocol):
    @abstractmethod
    async def add(self, *, user: User) -> bool:
        """False when the tenant already has a user with that email."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, *, tenant_id: UUID, email: str) -> User | None: ...

    @abstractmethod
    async def list(self, *, tenant_id: UUID) -> list[User]: ...

    @abstractmethod
    async def update(self, *, user: User) -> None:
        """Store role, password hash, disabled, failed attempts and lock of an existing user."""

    @abstractmethod
    async def delete(self, *, tenant_id: UUID, user_id: UUID) -> bool: ...
