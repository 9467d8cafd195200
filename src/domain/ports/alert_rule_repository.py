"""Port: a tenant's alert rules and, beside each, the state its evaluations leave."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from src.domain.alerting.model import AlertRule, RuleState


class AlertRuleRepository(Protocol):
    @abstractmethod
    async def add(self, *, rule: AlertRule) -> bool:
        """False when the tenant already has a rule of that name."""

    @abstractmethod
    async def tenants_with_rules(self) -> list[UUID]:
        """Across tenants: those of active tenants with at least one enabled rule (ids only)."""

    @abstractmethod
    async def get(self, *, tenant_id: UUID, rule_id: UUID) -> AlertRule | None: ...

    @abstractmethod
    async def list(self, *, tenant_id: UUID, enabled_only: bool = False) -> list[AlertRule]: ...

    @abstractmethod
    async def count(self, *, tenant_id: UUID) -> int: ...

    @abstractmethod
    async def update(self, *, rule: AlertRule) -> bool:
        """Replace the definition (not the state); False when no such rule or the name is taken."""

    @abstractmethod
    async def delete(self, *, tenant_id: UUID, rule_id: UUID) -> bool: ...

    @abstractmethod
    async def save_state(self, *, tenant_id: UUID, rule_id: UUID, state: RuleState) -> None: ...

    @abstractmethod
    async def forget_channel(self, *, tenant_id: UUID, channel_id: UUID) -> None:
        """Take a deleted channel out of every rule that names it."""
