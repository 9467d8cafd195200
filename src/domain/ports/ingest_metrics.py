"""Port: what the ingest path reports about itself (group-commit batch sizes, latency)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID


class IngestMetrics(Protocol):
    @abstractmethod
    def observe_commit(self, *, events: int, requests: int, seconds: float) -> None: ...

    @abstractmethod
    def observe_stored(self, *, tenant_id: UUID, events: int, bytes_: int) -> None: ...

    @abstractmethod
    def observe_rejected(self, *, tenant_id: UUID, route: str, reason: str, events: int) -> None: ...


class NoMetrics(IngestMetrics):
    def observe_commit(self, *, events: int, requests: int, seconds: float) -> None:
        return None

    def observe_stored(self, *, tenant_id: UUID, events: int, bytes_: int) -> None:
        return None

    def observe_rejected(self, *, tenant_id: UUID, route: str, reason: str, events: int) -> None:
        return None
