"""Port: send one notification through one channel (webhook, Slack, email), one attempt.

Retries, backoff and the delivery log belong to the use case; an adapter only says how the attempt
went: `DeliveryFailed` with the receiver's status code or the network error."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from src.domain.alerting.messages import Notification
from src.domain.alerting.model import AlertChannel
from src.domain.errors import DomainError


class DeliveryFailed(DomainError):
    code = "delivery_failed"

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message, details={"status_code": status_code} if status_code else None)
        self.status_code = status_code


class NotificationSender(Protocol):
    @abstractmethod
    async def send(self, *, channel: AlertChannel, secret: str | None, notification: Notification) -> int | None:
        """Deliver or raise DeliveryFailed; answers the receiver's status code where there is one."""
