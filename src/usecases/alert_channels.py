"""Use cases: a tenant's notification channels (create, list, get, replace, delete, send a test).

A channel's secret (webhook signing secret, SMTP password, Slack webhook URL) is encrypted before it
is stored and never returned: the API answers `has_secret` only."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from src.domain.alerting.messages import TEST, Notification
from src.domain.alerting.model import AlertChannel, ChannelType
from src.domain.credentials import Principal, Scope
from src.domain.errors import Conflict, InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.notification_sender import DeliveryFailed, NotificationSender
from src.domain.ports.secret_cipher import SecretCipher
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.text import require_storable

MAX_PER_TENANT = 100
MAX_NAME = 200
MAX_RECIPIENTS = 50
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,253}$")
MIN_WEBHOOK_SECRET = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelIn:
    name: str
    type: str
    config: dict[str, Any] = field(default_factory=dict)
    # None on replace keeps the stored secret.
    secret: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    delivered: bool
    status_code: int | None
    error: str | None


def _bad(message: str, field_name: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_channel", details={"field": field_name})


def _url(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or len(value) > 2000 or not _URL.match(value):
        raise _bad(f"{field_name} must be an http(s) URL", field_name)
    return value


def _config(kind: ChannelType, config: dict[str, Any]) -> dict[str, Any]:
    """Only the keys each type knows, checked and with their defaults; unknown keys are refused."""
    allowed = {
        ChannelType.WEBHOOK: {"url"},
        ChannelType.SLACK: set(),
        ChannelType.EMAIL: {"host", "port", "username", "from", "to", "starttls"},
    }[kind]
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise _bad(f"unknown config keys for a {kind.value} channel: {', '.join(unknown)}", f"config.{unknown[0]}")
    if kind is ChannelType.WEBHOOK:
        return {"url": _url(config.get("url"), "config.url")}
    if kind is ChannelType.SLACK:
        return {}
    host = config.get("host")
    if not isinstance(host, str) or not _HOST.match(host):
        raise _bad("config.host must be the SMTP server's host name or address", "config.host")
    port = config.get("port", 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise _bad("config.port is 1-65535", "config.port")
    username = config.get("username")
    if username is not None and (not isinstance(username, str) or not 1 <= len(username) <= 320):
        raise _bad("config.username is a string", "config.username")
    sender = config.get("from")
    if not isinstance(sender, str) or not _EMAIL.match(sender):
        raise _bad("config.from must be an email address", "config.from")
    to = config.get("to")
    if (
        not isinstance(to, list)
        or not 1 <= len(to) <= MAX_RECIPIENTS
        or not all(isinstance(a, str) and _EMAIL.match(a) for a in to)
    ):
        raise _bad(f"config.to must be a list of 1-{MAX_RECIPIENTS} email addresses", "config.to")
    starttls = config.get("starttls", True)
    if not isinstance(starttls, bool):
        raise _bad("config.starttls is true or false", "config.starttls")
    return {"host": host, "port": port, "username": username, "from": sender, "to": to, "starttls": starttls}


def _check_secret(kind: ChannelType, secret: str | None) -> None:
    if kind is ChannelType.WEBHOOK and (secret is None or len(secret) < MIN_WEBHOOK_SECRET):
        raise _bad(f"a webhook channel needs a signing secret of {MIN_WEBHOOK_SECRET}+ characters", "secret")
    if kind is ChannelType.SLACK:
        _url(secret, "secret")


class AlertChannels:
    """Rules: reading needs `read`, writing the scope saved searches need (`read`); the tenant is the
    principal's; names are unique per tenant (409); config is checked per type (422); the secret is
    stored encrypted and never answered; deleting a channel takes it out of every rule."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        cipher: SecretCipher,
        sender: NotificationSender,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher
        self._sender = sender
        self._clock = clock

    def _channel(self, tenant_id: UUID, channel_id: UUID, body: ChannelIn, kept: bytes | None) -> AlertChannel:
        require_storable({"name": body.name, "config": body.config}, field="channel")
        name = body.name.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise InvalidInput(f"name is 1-{MAX_NAME} characters", details={"field": "name"})
        try:
            kind = ChannelType(body.type)
        except ValueError:
            raise _bad(f"type is one of {', '.join(t.value for t in ChannelType)}", "type") from None
        config = _config(kind, body.config)
        if body.secret is not None:
            if len(body.secret) > 2000:
                raise _bad("the secret is at most 2000 characters", "secret")
            _check_secret(kind, body.secret)
            secret: bytes | None = self._cipher.encrypt(body.secret)
        else:
            if kept is None:
                _check_secret(kind, None)  # the types that need one say so
            secret = kept
        if kind is ChannelType.SLACK and secret is None:
            raise _bad("a slack channel needs its incoming-webhook URL as `secret`", "secret")
        return AlertChannel(tenant_id=tenant_id, id=channel_id, name=name, type=kind, config=config, secret=secret)

    async def create(self, *, principal: Principal, body: ChannelIn) -> AlertChannel:
        principal.require(Scope.READ)
        channel = self._channel(principal.tenant_id, new_id(), body, None)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if await uow.alert_channels.count(tenant_id=principal.tenant_id) >= MAX_PER_TENANT:
                raise InvalidInput(
                    f"a tenant keeps at most {MAX_PER_TENANT} alert channels", code="too_many_alert_channels"
                )
            if not await uow.alert_channels.add(channel=channel):
                raise Conflict(f"an alert channel named {channel.name!r} exists", details={"name": channel.name})
            stored = await uow.alert_channels.get(tenant_id=principal.tenant_id, channel_id=channel.id)
            await uow.commit()
        return stored or channel

    async def list(self, *, principal: Principal) -> list[AlertChannel]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.alert_channels.list(tenant_id=principal.tenant_id)

    async def get(self, *, principal: Principal, channel_id: UUID) -> AlertChannel:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.alert_channels.get(tenant_id=principal.tenant_id, channel_id=channel_id)
        if found is None:
            raise NotFound("no such alert channel", details={"id": str(channel_id)})
        return found

    async def replace(self, *, principal: Principal, channel_id: UUID, body: ChannelIn) -> AlertChannel:
        """Without `secret` the stored one is kept (it cannot be read back to be sent again)."""
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            old = await uow.alert_channels.get(tenant_id=principal.tenant_id, channel_id=channel_id)
            if old is None:
                raise NotFound("no such alert channel", details={"id": str(channel_id)})
            # A secret means something else to another type: changing the type needs a new one.
            kept = old.secret if old.type.value == body.type else None
            channel = self._channel(principal.tenant_id, channel_id, body, kept)
            if not await uow.alert_channels.update(channel=channel):
                raise Conflict(f"an alert channel named {channel.name!r} exists", details={"name": channel.name})
            stored = await uow.alert_channels.get(tenant_id=principal.tenant_id, channel_id=channel_id)
            await uow.commit()
        return stored or channel

    async def delete(self, *, principal: Principal, channel_id: UUID) -> None:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if not await uow.alert_channels.delete(tenant_id=principal.tenant_id, channel_id=channel_id):
                raise NotFound("no such alert channel", details={"id": str(channel_id)})
            await uow.alert_rules.forget_channel(tenant_id=principal.tenant_id, channel_id=channel_id)
            await uow.commit()

    async def send_test(self, *, principal: Principal, channel_id: UUID) -> TestResult:
        """One attempt, now, with a notification of status `test`; nothing is recorded."""
        channel = await self.get(principal=principal, channel_id=channel_id)
        notification = Notification(
            tenant_id=principal.tenant_id,
            alert_id=new_id(),
            rule_id=None,
            rule_name=channel.name,
            status=TEST,
            condition="count > 0 in 5m",
            query="",
            value=None,
            at=self._clock(),
        )
        try:
            secret = self._cipher.decrypt(channel.secret) if channel.secret is not None else None
            code = await self._sender.send(channel=channel, secret=secret, notification=notification)
        except (DeliveryFailed, InvalidInput) as e:
            return TestResult(delivered=False, status_code=getattr(e, "status_code", None), error=e.message)
        return TestResult(delivered=True, status_code=code, error=None)
