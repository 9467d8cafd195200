"""The sender for every channel type: webhook and Slack over HTTP, email over SMTP."""

from __future__ import annotations

from src.domain.alerting.messages import Notification
from src.domain.alerting.model import AlertChannel, ChannelType
from src.domain.ports.notification_sender import NotificationSender


class ChannelNotificationSender(NotificationSender):
    def __init__(self, *, http: NotificationSender, email: NotificationSender) -> None:
        self._http = http
        self._email = email

    async def send(self, *, channel: AlertChannel, secret: str | None, notification: Notification) -> int | None:
        sender = self._email if channel.type is ChannelType.EMAIL else self._http
        return await sender.send(channel=channel, secret=secret, notification=notification)

    async def close(self) -> None:
        for sender in (self._http, self._email):
            closer = getattr(sender, "close", None)
            if closer is not None:
                await closer()
