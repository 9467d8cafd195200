"""Port: the message queues that carry task ids to workers (SQS)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMessage:
    body: dict[str, Any]
    receipt: str
    receive_count: int


class TaskQueue(Protocol):
    @abstractmethod
    async def publish(self, *, queue: str, bodies: Sequence[dict[str, Any]]) -> None:
        """Send each body as one message; raises when any could not be sent."""

    @abstractmethod
    async def receive(self, *, queue: str, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]: ...

    @abstractmethod
    async def ack(self, *, queue: str, receipts: Sequence[str]) -> None:
        """Delete handled messages."""

    @abstractmethod
    async def extend(self, *, queue: str, receipt: str, seconds: int) -> None:
        """Keep a message invisible while its work goes on."""
