"""In-memory fakes of the alerting ports. The repositories work on a copy of the committed data that
the unit of work publishes on commit (and drops on rollback), as a transaction would."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from src.domain.alerting.messages import Notification
from src.domain.alerting.model import (
    Alert,
    AlertChannel,
    AlertRule,
    Delivery,
    DeliveryStatus,
    Notice,
    RuleState,
    Silence,
)
from src.domain.errors import DomainError, InvalidInput
from src.domain.ports.alert_channel_repository import AlertChannelRepository
from src.domain.ports.alert_history_repository import AlertHistoryRepository
from src.domain.ports.alert_rule_repository import AlertRuleRepository
from src.domain.ports.alert_signals import AlertSignals
from src.domain.ports.alert_silence_repository import AlertSilenceRepository
from src.domain.ports.leader_lock import LeaderLock
from src.domain.ports.notification_sender import DeliveryFailed, NotificationSender
from src.domain.ports.secret_cipher import SecretCipher


@dataclass
class AlertData:
    rules: dict[tuple[UUID, UUID], AlertRule] = field(default_factory=dict)
    channels: dict[tuple[UUID, UUID], AlertChannel] = field(default_factory=dict)
    silences: dict[tuple[UUID, UUID], Silence] = field(default_factory=dict)
    alerts: dict[tuple[UUID, UUID], Alert] = field(default_factory=dict)
    deliveries: dict[tuple[UUID, UUID], Delivery] = field(default_factory=dict)

    def copy(self) -> AlertData:
        return AlertData(
            dict(self.rules), dict(self.channels), dict(self.silences), dict(self.alerts), dict(self.deliveries)
        )


class _Work:
    """The data one unit of work sees and changes."""

    def __init__(self, data: AlertData) -> None:
        self.data = data


class FakeAlertRuleRepository(AlertRuleRepository):
    def __init__(self, work: _Work) -> None:
        self._w = work

    def _mine(self, tenant_id: UUID) -> list[AlertRule]:
        return sorted((r for (t, _), r in self._w.data.rules.items() if t == tenant_id), key=lambda r: r.name)

    async def add(self, *, rule: AlertRule) -> bool:
        if any(r.name == rule.name for r in self._mine(rule.tenant_id)):
            return False
        self._w.data.rules[(rule.tenant_id, rule.id)] = rule
        return True

    async def tenants_with_rules(self) -> list[UUID]:
        return sorted({t for (t, _), r in self._w.data.rules.items() if r.enabled})

    async def get(self, *, tenant_id: UUID, rule_id: UUID) -> AlertRule | None:
        return self._w.data.rules.get((tenant_id, rule_id))

    async def list(self, *, tenant_id: UUID, enabled_only: bool = False) -> list[AlertRule]:
        return [r for r in self._mine(tenant_id) if r.enabled or not enabled_only]

    async def count(self, *, tenant_id: UUID) -> int:
        return len(self._mine(tenant_id))

    async def update(self, *, rule: AlertRule) -> bool:
        old = self._w.data.rules.get((rule.tenant_id, rule.id))
        if old is None or any(r.name == rule.name and r.id != rule.id for r in self._mine(rule.tenant_id)):
            return False
        self._w.data.rules[(rule.tenant_id, rule.id)] = replace(rule, state=old.state)
        return True

    async def delete(self, *, tenant_id: UUID, rule_id: UUID) -> bool:
        return self._w.data.rules.pop((tenant_id, rule_id), None) is not None

    async def save_state(self, *, tenant_id: UUID, rule_id: UUID, state: RuleState) -> None:
        rule = self._w.data.rules.get((tenant_id, rule_id))
        if rule is not None:
            self._w.data.rules[(tenant_id, rule_id)] = replace(rule, state=state)

    async def forget_channel(self, *, tenant_id: UUID, channel_id: UUID) -> None:
        for rule in self._mine(tenant_id):
            if channel_id in rule.channel_ids:
                kept = tuple(c for c in rule.channel_ids if c != channel_id)
                self._w.data.rules[(tenant_id, rule.id)] = replace(rule, channel_ids=kept)


class FakeAlertChannelRepository(AlertChannelRepository):
    def __init__(self, work: _Work) -> None:
        self._w = work

    def _mine(self, tenant_id: UUID) -> list[AlertChannel]:
        return sorted((c for (t, _), c in self._w.data.channels.items() if t == tenant_id), key=lambda c: c.name)

    async def add(self, *, channel: AlertChannel) -> bool:
        if any(c.name == channel.name for c in self._mine(channel.tenant_id)):
            return False
        self._w.data.channels[(channel.tenant_id, channel.id)] = channel
        return True

    async def get(self, *, tenant_id: UUID, channel_id: UUID) -> AlertChannel | None:
        return self._w.data.channels.get((tenant_id, channel_id))

    async def list(self, *, tenant_id: UUID, ids: Collection[UUID] | None = None) -> list[AlertChannel]:
        return [c for c in self._mine(tenant_id) if ids is None or c.id in ids]

    async def count(self, *, tenant_id: UUID) -> int:
        return len(self._mine(tenant_id))

    async def update(self, *, channel: AlertChannel) -> bool:
        key = (channel.tenant_id, channel.id)
        if key not in self._w.data.channels or any(
            c.name == channel.name and c.id != channel.id for c in self._mine(channel.tenant_id)
        ):
            return False
        self._w.data.channels[key] = channel
        return True

    async def delete(self, *, tenant_id: UUID, channel_id: UUID) -> bool:
        return self._w.data.channels.pop((tenant_id, channel_id), None) is not None


class FakeAlertSilenceRepository(AlertSilenceRepository):
    def __init__(self, work: _Work) -> None:
        self._w = work

    async def add(self, *, silence: Silence) -> None:
        self._w.data.silences[(silence.tenant_id, silence.id)] = silence

    async def list(self, *, tenant_id: UUID, ending_after: datetime | None = None) -> list[Silence]:
        mine = [s for (t, _), s in self._w.data.silences.items() if t == tenant_id]
        return sorted(
            (s for s in mine if ending_after is None or s.ends_at > ending_after),
            key=lambda s: s.starts_at,
            reverse=True,
        )

    async def delete(self, *, tenant_id: UUID, silence_id: UUID) -> bool:
        return self._w.data.silences.pop((tenant_id, silence_id), None) is not None

    async def silenced_rules(self, *, tenant_id: UUID, at: datetime) -> set[UUID]:
        return {s.rule_id for (t, _), s in self._w.data.silences.items() if t == tenant_id and s.covers(at)}


class FakeAlertHistoryRepository(AlertHistoryRepository):
    def __init__(self, work: _Work) -> None:
        self._w = work

    async def add_alert(self, *, alert: Alert) -> None:
        self._w.data.alerts[(alert.tenant_id, alert.id)] = alert

    async def get_alert(self, *, tenant_id: UUID, alert_id: UUID) -> Alert | None:
        return self._w.data.alerts.get((tenant_id, alert_id))

    async def set_notice(self, *, tenant_id: UUID, alert_id: UUID, notice: Notice) -> None:
        alert = self._w.data.alerts[(tenant_id, alert_id)]
        self._w.data.alerts[(tenant_id, alert_id)] = replace(alert, notice=notice)

    async def list_alerts(
        self, *, tenant_id: UUID, rule_id: UUID | None, before: datetime | None, limit: int
    ) -> list[Alert]:
        rows = [
            a
            for (t, _), a in self._w.data.alerts.items()
            if t == tenant_id and (rule_id is None or a.rule_id == rule_id) and (before is None or a.at < before)
        ]
        return sorted(rows, key=lambda a: (a.at, a.id), reverse=True)[:limit]

    async def add_deliveries(self, *, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            self._w.data.deliveries[(d.tenant_id, d.id)] = d

    async def deliveries(self, *, tenant_id: UUID, alert_ids: Collection[UUID]) -> list[Delivery]:
        return [d for (t, _), d in self._w.data.deliveries.items() if t == tenant_id and d.alert_id in alert_ids]

    def _due(self, now: datetime) -> list[Delivery]:
        return [
            d
            for d in self._w.data.deliveries.values()
            if d.status is DeliveryStatus.PENDING and d.next_attempt_at is not None and d.next_attempt_at <= now
        ]

    async def tenants_with_due(self, *, now: datetime) -> list[UUID]:
        return sorted({d.tenant_id for d in self._due(now)})

    async def claim_due(self, *, tenant_id: UUID, now: datetime, limit: int) -> list[Delivery]:
        def waits(d: Delivery) -> bool:
            alert = self._w.data.alerts.get((d.tenant_id, d.alert_id))
            return alert is not None and any(
                f.alert_id == alert.firing_id and f.channel_id == d.channel_id and f.status is DeliveryStatus.PENDING
                for f in self._w.data.deliveries.values()
            )

        due = sorted(
            (d for d in self._due(now) if d.tenant_id == tenant_id and not waits(d)),
            key=lambda d: (d.next_attempt_at, d.id),
        )
        return due[:limit]

    async def save_delivery(self, *, delivery: Delivery) -> None:
        self._w.data.deliveries[(delivery.tenant_id, delivery.id)] = delivery


class FakeAlertSignals(AlertSignals):
    """What the analytics tables would answer, set by the test."""

    def __init__(self) -> None:
        self.patterns = 0
        self.error_groups = 0
        self.anomaly = 0.0
        self.error: DomainError | None = None  # raised by every read while set (tables unreachable)

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    async def new_patterns(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> int:
        self._check()
        return self.patterns

    async def new_error_groups(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> int:
        self._check()
        return self.error_groups

    async def max_anomaly_score(self, *, tenant_id: UUID, service: str | None, start: datetime, end: datetime) -> float:
        self._check()
        return self.anomaly


class FakeNotificationSender(NotificationSender):
    """Records what it sent; fails the next `fail_next` attempts."""

    def __init__(self) -> None:
        self.sent: list[tuple[AlertChannel, str | None, Notification]] = []
        self.fail_next = 0

    async def send(self, *, channel: AlertChannel, secret: str | None, notification: Notification) -> int | None:
        if self.fail_next:
            self.fail_next -= 1
            raise DeliveryFailed("receiver answered 503", status_code=503)
        self.sent.append((channel, secret, notification))
        return 200


class ReversingCipher(SecretCipher):
    """Not encryption: enough to see that what is stored is not the plaintext and comes back."""

    def encrypt(self, plaintext: str) -> bytes:
        return b"enc:" + plaintext[::-1].encode()

    def decrypt(self, ciphertext: bytes) -> str:
        if not ciphertext.startswith(b"enc:"):
            raise InvalidInput("cannot decrypt", code="secret_undecryptable")
        return ciphertext[4:].decode()[::-1]


class FakeLeaderLock(LeaderLock):
    def __init__(self, held: bool = True) -> None:
        self.held = held

    async def try_acquire(self) -> bool:
        return self.held

    async def release(self) -> None:
        self.held = False
