"""Port: the order in which a tenant's events were committed (one entry per group commit)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from src.domain.commit_order import CommitPosition, CommitSpan, CommittedPage


class CommitOrder(Protocol):
    @abstractmethod
    async def record(self, *, tenant_id: UUID, log_ids: Sequence[UUID], span: CommitSpan | None = None) -> None:
        """Give the events written in this transaction (in the order they are published) the next
        place in the tenant's commit order. Call it as the transaction's last statement: from here
        to the commit, the tenant's other writers wait, which is what makes the order the commit
        order. `span` is `CommitSpan.of(log_ids)` (a caller that has it saves computing it again)."""

    @abstractmethod
    async def log_ids(self, *, tenant_id: UUID, span: CommitSpan) -> list[UUID] | None:
        """The events of the commit `span` names, in commit order; None when its entry is no longer
        kept (older than the commit order's retention)."""

    @abstractmethod
    async def position(self, *, tenant_id: UUID, log_id: UUID) -> CommitPosition | None:
        """Where the event sits in commit order; None when unknown (stored before commit order was
        kept, restored from an archive, or older than what is kept)."""

    @abstractmethod
    async def events_after(self, *, tenant_id: UUID, after: CommitPosition, limit: int) -> CommittedPage:
        """Up to `limit` entries committed after `after`, in commit order, with their events."""
