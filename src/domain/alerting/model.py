"""What alerting stores: rules with their evaluation state, channels, silences, alerts and deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from src.domain.alerting.condition import Condition


class AlertState(StrEnum):
    OK = "ok"  # never fired
    FIRING = "firing"
    RESOLVED = "resolved"  # fired, and the condition no longer holds


class AlertKind(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Notice(StrEnum):
    """What became of an alert's notification."""

    NOTIFIED = "notified"
    SILENCED = "silenced"
    COOLDOWN = "cooldown"
    NO_CHANNELS = "no_channels"
    FIRING_UNANNOUNCED = "firing_unannounced"  # a resolve of a firing nobody was told about


class ChannelType(StrEnum):
    WEBHOOK = "webhook"
    SLACK = "slack"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # attempts exhausted


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleState:
    state: AlertState = AlertState.OK
    since: datetime | None = None
    value: float | None = None
    evaluated_at: datetime | None = None
    # When a firing of this rule was last announced: the cooldown counts from here.
    notified_at: datetime | None = None
    # The firing alert while FIRING, and whether it was announced (a resolve is sent only then).
    open_alert_id: UUID | None = None
    open_notified: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    tenant_id: UUID
    id: UUID
    name: str
    query: str
    condition: Condition
    service: str | None = None  # narrows the analytics signals (patterns, error groups, anomalies)
    channel_ids: tuple[UUID, ...] = ()
    cooldown_seconds: int = 0
    enabled: bool = True
    state: RuleState = field(default_factory=RuleState)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertChannel:
    """`config` holds what may be shown (URL, SMTP host, addresses); `secret` the ciphertext of what
    may not (webhook signing secret, SMTP password, Slack webhook URL): write-only in the API."""

    tenant_id: UUID
    id: UUID
    name: str
    type: ChannelType
    config: dict[str, Any]
    secret: bytes | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    tenant_id: UUID
    id: UUID
    rule_id: UUID
    starts_at: datetime
    ends_at: datetime
    comment: str = ""
    created_by: str = ""
    created_at: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One firing or resolve of a rule: the history `GET /api/v1/alerts` shows."""

    tenant_id: UUID
    id: UUID
    rule_id: UUID
    rule_name: str
    kind: AlertKind
    condition: str
    query: str
    value: float
    at: datetime
    notice: Notice
    firing_id: UUID | None = None  # a resolve names the firing it closes


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    tenant_id: UUID
    id: UUID
    alert_id: UUID
    channel_id: UUID
    channel_name: str
    channel_type: ChannelType
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    # One entry per attempt: {"at", "ok", "status_code", "error"}.
    log: tuple[dict[str, Any], ...] = ()
    created_at: datetime | None = None
    delivered_at: datetime | None = None
