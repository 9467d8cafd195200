"""Webhook and Slack notifications over HTTP (httpx).

A generic webhook gets the JSON body signed with the channel's secret:
`X-Logplane-Signature: sha256=<hex HMAC-SHA256 of the raw body>` and `X-Logplane-Timestamp: <unix
seconds>`; the body carries the same `sent_at`, so the signature covers the time too and a receiver
can refuse replays. A Slack channel's secret is its incoming-webhook URL."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

import httpx
import orjson

from src.adapters.notify.targets import require_public
from src.domain.alerting.messages import Notification, slack_payload, webhook_body
from src.domain.alerting.model import AlertChannel, ChannelType
from src.domain.ports.notification_sender import DeliveryFailed, NotificationSender

SIGNATURE_HEADER = "X-Logplane-Signature"
TIMESTAMP_HEADER = "X-Logplane-Timestamp"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HttpNotificationSender(NotificationSender):
    def __init__(self, *, timeout: float, allow_private_targets: bool) -> None:
        # No redirects: a receiver must not bounce a signed notification somewhere else.
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._allow_private = allow_private_targets

    async def send(self, *, channel: AlertChannel, secret: str | None, notification: Notification) -> int | None:
        if secret is None:
            raise DeliveryFailed("the channel has no secret")
        headers = {"Content-Type": "application/json", "User-Agent": "logplane-alerts/1"}
        if channel.type is ChannelType.WEBHOOK:
            url = str(channel.config["url"])
            now = int(time.time())
            body = orjson.dumps({**webhook_body(notification), "sent_at": now})
            headers |= {SIGNATURE_HEADER: sign(body, secret), TIMESTAMP_HEADER: str(now)}
        elif channel.type is ChannelType.SLACK:
            url, body = secret, orjson.dumps(slack_payload(notification))
        else:
            raise DeliveryFailed(f"a {channel.type.value} channel is not sent over HTTP")
        parts = urlsplit(url)
        if not self._allow_private:
            await require_public(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as e:
            # The URL may hold a token (Slack's does): name the host only.
            raise DeliveryFailed(f"{type(e).__name__} sending to {parts.hostname}: {e}"[:500]) from e
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"{parts.hostname} answered {response.status_code}", status_code=response.status_code)
        return response.status_code

    async def close(self) -> None:
        await self._client.aclose()
