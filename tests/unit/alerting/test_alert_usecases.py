"""Alert rules evaluated over fakes of every port: firing, de-duplication, resolve, error ratio,
signals, retries with backoff, channels' write-only secrets, silences and isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from src.domain.alerting.model import AlertState, DeliveryStatus
from src.domain.credentials import Principal, Scope
from src.domain.errors import Conflict, DependencyUnavailable, Forbidden, InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.severity import Severity
from src.usecases.alert_channels import AlertChannels, ChannelIn
from src.usecases.alert_history import ListAlerts
from src.usecases.alert_rules import AlertRuleIn, AlertRules
from src.usecases.alert_silences import AlertSilences, SilenceIn
from src.usecases.deliver_notifications import DeliverNotifications
from src.usecases.evaluate_alerts import EvaluateAlerts
from tests.alert_fakes import FakeAlertSignals, FakeLeaderLock, FakeNotificationSender, ReversingCipher
from tests.fakes import FakeSearchIndex, FakeUnitOfWorkFactory

START = datetime.now(UTC).replace(microsecond=0)
SECRET = "whsec-" + "k" * 24


class World:
    def __init__(self) -> None:
        self.now = START
        self.uow = FakeUnitOfWorkFactory()
        self.sender = FakeNotificationSender()
        self.signals = FakeAlertSignals()
        self.lock = FakeLeaderLock()
        self.cipher = ReversingCipher()
        self.tenant = uuid4()
        self.principal = Principal(tenant_id=self.tenant, subject="k", scopes=frozenset({Scope.READ}), via="api_key")
        self.rules = AlertRules(self.uow)
        self.channels = AlertChannels(self.uow, self.cipher, self.sender, clock=self.clock)
        self.silences = AlertSilences(self.uow, clock=self.clock)
        self.history = ListAlerts(self.uow)
        self.restart()

    def restart(self) -> None:
        """New use case instances over the same stored data, as a restarted worker gets."""
        self.deliver = DeliverNotifications(
            self.uow,
            self.cipher,
            self.sender,
            max_attempts=3,
            backoff=timedelta(seconds=5),
            max_backoff=timedelta(seconds=60),
            clock=self.clock,
        )
        self.evaluate = EvaluateAlerts(
            self.uow, FakeSearchIndex(), self.signals, self.lock, self.deliver, clock=self.clock
        )

    def clock(self) -> datetime:
        return self.now

    def log(self, count: int, *, severity: Severity = Severity.INFO, service: str = "checkout", ago: float = 30):
        at = self.now - timedelta(seconds=ago)
        for _ in range(count):
            event = LogEvent(
                id=new_id(),
                tenant_id=self.tenant,
                timestamp=at,
                received_at=at,
                message="payment failed",
                severity=severity,
                service=service,
                host=None,
                user_id=None,
                action=None,
                trace_id=None,
                span_id=None,
                attributes={},
            )
            self.uow.store.logs[event.id] = event

    async def webhook(self) -> UUID:
        body = ChannelIn(
            name=f"hook-{uuid4().hex[:6]}", type="webhook", config={"url": "https://example.org/h"}, secret=SECRET
        )
        return (await self.channels.create(principal=self.principal, body=body)).id

    async def rule(self, condition: str, query: str = "service:checkout", **more) -> UUID:
        channel_ids = more.pop("channel_ids", None) or (await self.webhook(),)
        body = AlertRuleIn(
            name=f"r-{uuid4().hex[:6]}", condition=condition, query=query, channel_ids=channel_ids, **more
        )
        return (await self.rules.create(principal=self.principal, body=body)).id

    async def state(self, rule_id: UUID) -> AlertState:
        return (await self.rules.get(principal=self.principal, rule_id=rule_id)).state.state


@pytest.fixture
def world() -> World:
    return World()


async def test_count_rule_fires_once_and_resolves_once(world: World) -> None:
    rule_id = await world.rule("count > 5 in 5m")
    world.log(5)
    assert (await world.evaluate.execute()).alerts == 0
    world.log(1, service="other")  # outside the rule's filter
    await world.evaluate.execute()
    assert await world.state(rule_id) is AlertState.OK
    world.log(1)
    report = await world.evaluate.execute()
    assert (report.alerts, report.attempts) == (1, 1)
    assert [n.status for _, _, n in world.sender.sent] == ["firing"]
    _, secret, note = world.sender.sent[0]
    assert secret == SECRET and note.value == 6 and note.condition == "count > 5 in 5m"
    world.now += timedelta(minutes=1)
    world.log(10)
    await world.evaluate.execute()  # still firing: nothing new
    assert len(world.sender.sent) == 1
    world.now += timedelta(minutes=10)  # everything left the window
    await world.evaluate.execute()
    assert [n.status for _, _, n in world.sender.sent] == ["firing", "resolved"]
    assert await world.state(rule_id) is AlertState.RESOLVED
    history = await world.history.execute(principal=world.principal, rule_id=rule_id, before=None, limit=10)
    assert [h.alert.kind.value for h in history] == ["resolved", "firing"]
    assert history[0].alert.firing_id == history[1].alert.id
    assert all(d.status is DeliveryStatus.DELIVERED and d.attempts == 1 for h in history for d in h.deliveries)


async def test_error_ratio(world: World) -> None:
    await world.rule("error_ratio > 20% in 10m")
    world.log(8)
    world.log(2, severity=Severity.ERROR)
    await world.evaluate.execute()
    assert world.sender.sent == []  # exactly 20%
    world.log(1, severity=Severity.FATAL)
    await world.evaluate.execute()
    assert world.sender.sent[0][2].value == pytest.approx(3 / 11)


async def test_state_survives_a_restart(world: World) -> None:
    await world.rule("count > 0 in 5m")
    world.log(1)
    await world.evaluate.execute()
    world.restart()
    world.now += timedelta(seconds=30)
    await world.evaluate.execute()
    assert len(world.sender.sent) == 1


async def test_retries_with_backoff_then_gives_up(world: World) -> None:
    await world.rule("count > 0 in 5m")
    world.log(1)
    world.sender.fail_next = 2
    await world.evaluate.execute()
    assert await world.deliver.execute() == 0  # the retry is not due yet
    world.now += timedelta(seconds=5)
    assert await world.deliver.execute() == 1  # second attempt fails too; next after 10 s
    world.now += timedelta(seconds=9)
    assert await world.deliver.execute() == 0
    world.now += timedelta(seconds=1)
    assert await world.deliver.execute() == 1
    (item,) = await world.history.execute(principal=world.principal, rule_id=None, before=None, limit=10)
    (delivery,) = item.deliveries
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert [(e["ok"], e["status_code"]) for e in delivery.log] == [(False, 503), (False, 503), (True, 200)]
    # A receiver that never answers: `failed` after max_attempts (3).
    world.now += timedelta(minutes=10)
    world.sender.fail_next = 100
    await world.evaluate.execute()  # resolves
    for _ in range(3):
        world.now += timedelta(minutes=1)
        await world.deliver.execute()
    latest = (await world.history.execute(principal=world.principal, rule_id=None, before=None, limit=1))[0]
    assert latest.deliveries[0].status is DeliveryStatus.FAILED and latest.deliveries[0].attempts == 3


async def test_a_resolve_waits_for_its_firing_to_be_delivered(world: World) -> None:
    await world.rule("count > 0 in 5m")
    world.log(1)
    world.sender.fail_next = 2
    await world.evaluate.execute()  # the firing's first attempt fails
    world.now += timedelta(minutes=6)
    await world.evaluate.execute()  # resolves; the firing's second attempt fails: the resolve must wait
    assert world.sender.sent == []
    world.now += timedelta(seconds=10)
    await world.deliver.execute()
    assert [n.status for _, _, n in world.sender.sent] == ["firing", "resolved"]


async def test_silence_suppresses_and_cooldown_delays(world: World) -> None:
    rule_id = await world.rule("count > 0 in 5m", cooldown_seconds=600)
    await world.silences.create(
        principal=world.principal, body=SilenceIn(rule_id=rule_id, ends_at=world.now + timedelta(minutes=2))
    )
    world.log(1)
    await world.evaluate.execute()
    assert world.sender.sent == [] and await world.state(rule_id) is AlertState.FIRING
    world.now += timedelta(minutes=3)  # the silence ended, still firing: announced now, once
    world.log(1)
    await world.evaluate.execute()
    await world.evaluate.execute()
    assert [n.status for _, _, n in world.sender.sent] == ["firing"]
    world.now += timedelta(minutes=6)
    await world.evaluate.execute()  # resolved
    world.log(1)
    await world.evaluate.execute()  # fires again within the 10 minute cooldown: quiet
    assert [n.status for _, _, n in world.sender.sent] == ["firing", "resolved"]
    history = await world.history.execute(principal=world.principal, rule_id=rule_id, before=None, limit=10)
    assert [h.alert.notice.value for h in history] == ["cooldown", "notified", "notified"]


async def test_signal_kinds_read_the_signals_port(world: World) -> None:
    await world.rule("new_pattern in 15m", query="")
    await world.rule("anomaly_score >= 0.8 in 10m", query="")
    await world.evaluate.execute()
    assert world.sender.sent == []
    world.signals.patterns = 2
    world.signals.anomaly = 0.9
    await world.evaluate.execute()
    assert sorted(n.condition for _, _, n in world.sender.sent) == [
        "anomaly_score >= 0.8 in 10m",
        "new_pattern > 0 in 15m",
    ]


async def test_an_unmeasurable_rule_keeps_its_state_and_shows_why(world: World) -> None:
    world.signals.error = DependencyUnavailable(
        "new-error-group signals are not available", code="alert_signals_unavailable"
    )
    rule_id = await world.rule("new_error_group in 1h", query="")
    report = await world.evaluate.execute()
    assert report.errors == 1
    rule = await world.rules.get(principal=world.principal, rule_id=rule_id)
    assert rule.state.state is AlertState.OK and "not available" in (rule.state.error or "")


async def test_only_the_leader_evaluates(world: World) -> None:
    await world.rule("count > 0 in 5m")
    world.log(1)
    world.lock.held = False
    assert not await world.evaluate.execute()
    assert world.sender.sent == []


async def test_rules_are_checked(world: World) -> None:
    with pytest.raises(InvalidInput) as bad_query:
        await world.rule("count > 1 in 5m", query="service:")
    assert bad_query.value.details["field"] == "query"
    with pytest.raises(InvalidInput) as pipeline:
        await world.rule("count > 1 in 5m", query="* | stats count()")
    assert "pipeline" in pipeline.value.message
    with pytest.raises(InvalidInput) as unknown:
        await world.rule("count > 1 in 5m", channel_ids=(uuid4(),))
    assert unknown.value.code == "unknown_channel"
    body = AlertRuleIn(name="same", condition="count > 1 in 5m")
    await world.rules.create(principal=world.principal, body=body)
    with pytest.raises(Conflict):
        await world.rules.create(principal=world.principal, body=body)
    ingest_only = Principal(tenant_id=world.tenant, subject="k", scopes=frozenset({Scope.INGEST}), via="api_key")
    with pytest.raises(Forbidden):
        await world.rules.list(principal=ingest_only)


async def test_channel_secrets_are_encrypted_write_only_and_kept_on_replace(world: World) -> None:
    channel_id = await world.webhook()
    stored = world.uow.store.alerting.channels[(world.tenant, channel_id)]
    assert stored.secret is not None and SECRET.encode() not in stored.secret
    replaced = await world.channels.replace(
        principal=world.principal,
        channel_id=channel_id,
        body=ChannelIn(name="renamed", type="webhook", config={"url": "https://example.org/other"}),
    )
    assert replaced.secret == stored.secret  # omitted: kept
    with pytest.raises(InvalidInput):  # a new type needs its own secret
        await world.channels.replace(
            principal=world.principal, channel_id=channel_id, body=ChannelIn(name="x", type="slack")
        )
    result = await world.channels.send_test(principal=world.principal, channel_id=channel_id)
    assert result.delivered and world.sender.sent[-1][2].status == "test" and world.sender.sent[-1][1] == SECRET
    world.sender.fail_next = 1
    failed = await world.channels.send_test(principal=world.principal, channel_id=channel_id)
    assert (failed.delivered, failed.status_code) == (False, 503)


@pytest.mark.parametrize(
    ("kind", "config", "secret", "field"),
    [
        ("pager", {}, None, "type"),
        ("webhook", {"url": "ftp://x"}, SECRET, "config.url"),
        ("webhook", {"url": "https://x.org"}, "short", "secret"),
        ("webhook", {"url": "https://x.org", "extra": 1}, SECRET, "config.extra"),
        ("slack", {}, None, "secret"),
        ("slack", {}, "not a url", "secret"),
        ("email", {"host": "smtp.example.org", "from": "a@example.org", "to": []}, None, "config.to"),
        ("email", {"host": "smtp.example.org", "from": "nobody", "to": ["b@example.org"]}, None, "config.from"),
        ("email", {"host": "smtp.example.org", "port": 0, "from": "a@x.org", "to": ["b@x.org"]}, None, "config.port"),
    ],
)
async def test_channels_are_checked(world: World, kind: str, config: dict, secret: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await world.channels.create(
            principal=world.principal, body=ChannelIn(name="c", type=kind, config=config, secret=secret)
        )
    assert caught.value.details["field"] == field


async def test_deleting_a_channel_takes_it_out_of_rules(world: World) -> None:
    channel_id = await world.webhook()
    rule_id = await world.rule("count > 0 in 5m", channel_ids=(channel_id,))
    await world.channels.delete(principal=world.principal, channel_id=channel_id)
    assert (await world.rules.get(principal=world.principal, rule_id=rule_id)).channel_ids == ()


async def test_another_tenant_sees_nothing(world: World) -> None:
    rule_id = await world.rule("count > 0 in 5m")
    world.log(1)
    await world.evaluate.execute()
    other = Principal(tenant_id=uuid4(), subject="o", scopes=frozenset({Scope.READ}), via="api_key")
    assert await world.rules.list(principal=other) == []
    assert await world.channels.list(principal=other) == []
    assert await world.history.execute(principal=other, rule_id=None, before=None, limit=10) == []
    with pytest.raises(NotFound):
        await world.rules.get(principal=other, rule_id=rule_id)
    with pytest.raises(InvalidInput):  # a silence must name one of the tenant's own rules
        await world.silences.create(
            principal=other, body=SilenceIn(rule_id=rule_id, ends_at=world.now + timedelta(hours=1))
        )
