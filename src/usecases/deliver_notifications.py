"""Use case: send the notifications that are due, with retries and exponential backoff, and keep
the delivery log (each attempt's time, outcome, status code and error)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.alerting.messages import Notification
from src.domain.alerting.model import Delivery, DeliveryStatus
from src.domain.errors import InvalidInput
from src.domain.ports.notification_sender import DeliveryFailed, NotificationSender
from src.domain.ports.secret_cipher import SecretCipher
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.wire import rfc3339

logger = logging.getLogger(__name__)


class DeliverNotifications:
    """Rules:
    - a delivery is claimed in its own transaction with SKIP LOCKED: several processes may deliver
      at once, and none sends the same attempt twice; the outcome commits with the claim;
    - a failed attempt is retried after `backoff * 2^(attempts-1)` (at most `max_backoff`), until
      `max_attempts`, then the delivery is `failed`; a deleted channel or a secret no key opens
      fails at once (retrying cannot help);
    - at least once: a process that dies between sending and committing sends again; receivers
      de-duplicate on `alert_id`.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        cipher: SecretCipher,
        sender: NotificationSender,
        *,
        max_attempts: int,
        backoff: timedelta,
        max_backoff: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        per_tenant: int = 100,
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._sender = sender
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._clock = clock
        self._per_tenant = per_tenant

    async def execute(self) -> int:
        """Attempts made (successful or not) in this round."""
        async with self._uow_factory() as uow:
            tenants = await uow.alert_history.tenants_with_due(now=self._clock())
        attempts = 0
        for tenant_id in tenants:
            for _ in range(self._per_tenant):
                if not await self._attempt_one(tenant_id):
                    break
                attempts += 1
        return attempts

    async def _attempt_one(self, tenant_id: UUID) -> bool:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            claimed = await uow.alert_history.claim_due(tenant_id=tenant_id, now=self._clock(), limit=1)
            if not claimed:
                return False
            delivery = await self._attempt(uow, claimed[0])
            await uow.alert_history.save_delivery(delivery=delivery)
            await uow.commit()
        return True

    async def _attempt(self, uow: UnitOfWork, delivery: Delivery) -> Delivery:
        alert = await uow.alert_history.get_alert(tenant_id=delivery.tenant_id, alert_id=delivery.alert_id)
        channel = await uow.alert_channels.get(tenant_id=delivery.tenant_id, channel_id=delivery.channel_id)
        code: int | None = None
        error: str | None = None
        final = False
        if alert is None or channel is None:
            error, final = "the channel or the alert was deleted", True
        else:
            notification = Notification(
                tenant_id=alert.tenant_id,
                alert_id=alert.id,
                rule_id=alert.rule_id,
                rule_name=alert.rule_name,
                status=alert.kind.value,
                condition=alert.condition,
                query=alert.query,
                value=alert.value,
                at=alert.at,
            )
            try:
                secret = self._cipher.decrypt(channel.secret) if channel.secret is not None else None
                code = await self._sender.send(channel=channel, secret=secret, notification=notification)
            except DeliveryFailed as e:
                error, code = e.message, e.status_code
            except InvalidInput as e:  # the secret: no configured key opens it
                error, final = e.message, True
        at = self._clock()
        attempts = delivery.attempts + 1
        entry = {"at": rfc3339(at), "ok": error is None, "status_code": code, "error": error}
        log = (*delivery.log, entry)
        if error is None:
            return replace(
                delivery,
                status=DeliveryStatus.DELIVERED,
                attempts=attempts,
                log=log,
                delivered_at=at,
                next_attempt_at=None,
                last_error=None,
            )
        logger.warning(
            "alert notification %s to channel %s failed (attempt %d): %s",
            delivery.id,
            delivery.channel_id,
            attempts,
            error,
        )
        if final or attempts >= self._max_attempts:
            return replace(
                delivery,
                status=DeliveryStatus.FAILED,
                attempts=attempts,
                log=log,
                last_error=error,
                next_attempt_at=None,
            )
        wait = min(self._max_backoff, self._backoff * 2 ** (attempts - 1))
        return replace(delivery, attempts=attempts, log=log, last_error=error, next_attempt_at=at + wait)
