"""Email notifications over SMTP with STARTTLS (aiosmtplib)."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib

from src.adapters.notify.targets import require_public
from src.domain.alerting.messages import Notification, email_text, headline
from src.domain.alerting.model import AlertChannel, ChannelType
from src.domain.ports.notification_sender import DeliveryFailed, NotificationSender


class SmtpEmailSender(NotificationSender):
    """`starttls` (the default) upgrades the connection before anything is sent and fails if the
    server cannot; the server's certificate is checked against the system's CAs, or `ca_file`."""

    def __init__(self, *, timeout: float, allow_private_targets: bool, ca_file: str | None = None) -> None:
        self._timeout = timeout
        self._allow_private = allow_private_targets
        self._tls = ssl.create_default_context(cafile=ca_file)

    async def send(self, *, channel: AlertChannel, secret: str | None, notification: Notification) -> int | None:
        if channel.type is not ChannelType.EMAIL:
            raise DeliveryFailed(f"a {channel.type.value} channel is not sent by email")
        cfg = channel.config
        host, port = str(cfg["host"]), int(cfg["port"])
        if not self._allow_private:
            await require_public(host, port)
        message = EmailMessage()
        message["From"] = cfg["from"]
        message["To"] = ", ".join(cfg["to"])
        message["Subject"] = headline(notification)
        message["X-Logplane-Alert-Id"] = str(notification.alert_id)
        message.set_content(email_text(notification))
        starttls = bool(cfg.get("starttls", True))
        try:
            errors, _reply = await aiosmtplib.send(
                message,
                hostname=host,
                port=port,
                username=cfg.get("username") or None,
                password=secret if cfg.get("username") else None,
                start_tls=starttls,
                use_tls=False,
                tls_context=self._tls if starttls else None,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPResponseException as e:
            raise DeliveryFailed(f"{host} answered {e.code}: {e.message}"[:500], status_code=e.code) from e
        except (aiosmtplib.SMTPException, OSError) as e:
            raise DeliveryFailed(f"{type(e).__name__} sending to {host}: {e}"[:500]) from e
        if errors:
            refused = ", ".join(f"{a} ({r.code})" for a, r in errors.items())
            raise DeliveryFailed(f"{host} refused recipients: {refused}"[:500])
        return 250
