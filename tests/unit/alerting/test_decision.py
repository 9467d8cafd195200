"""The alert state machine: fire once, stay quiet while firing, resolve once; silences and cooldown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from src.domain.alerting.decision import decide
from src.domain.alerting.model import AlertKind, AlertState, Notice, RuleState

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
COOLDOWN = timedelta(minutes=30)


def step(state: RuleState, breached: bool, *, at: datetime = NOW, silenced: bool = False, channels: bool = True):
    return decide(
        state, value=1.0, breached=breached, now=at, silenced=silenced, has_channels=channels, cooldown=COOLDOWN
    )


def test_fires_once_then_resolves_once() -> None:
    fired = step(RuleState(), True)
    assert (fired.alert, fired.notice, fired.notify) == (AlertKind.FIRING, Notice.NOTIFIED, True)
    assert fired.state.state is AlertState.FIRING and fired.state.notified_at == NOW
    state = fired.state
    for minutes in (1, 2, 3):  # still breached: nothing new
        again = step(state, True, at=NOW + timedelta(minutes=minutes))
        assert (again.alert, again.notify) == (None, False)
        state = again.state
    resolved = step(state, False, at=NOW + timedelta(minutes=4))
    assert (resolved.alert, resolved.notice, resolved.notify) == (AlertKind.RESOLVED, Notice.NOTIFIED, True)
    assert resolved.state.state is AlertState.RESOLVED
    quiet = step(resolved.state, False, at=NOW + timedelta(minutes=5))
    assert (quiet.alert, quiet.notify, quiet.state.state) == (None, False, AlertState.RESOLVED)


def test_ok_stays_ok_while_clear() -> None:
    decision = step(RuleState(), False)
    assert (decision.alert, decision.notify, decision.state.state) == (None, False, AlertState.OK)
    assert decision.state.evaluated_at == NOW


def test_cooldown_keeps_a_quick_refire_quiet_then_announces_it_once() -> None:
    fired = step(RuleState(), True)
    resolved = step(fired.state, False, at=NOW + timedelta(minutes=1))
    refired = step(resolved.state, True, at=NOW + timedelta(minutes=2))
    assert (refired.alert, refired.notice, refired.notify) == (AlertKind.FIRING, Notice.COOLDOWN, False)
    still = step(refired.state, True, at=NOW + timedelta(minutes=10))
    assert (still.alert, still.notify) == (None, False)
    after = step(still.state, True, at=NOW + timedelta(minutes=31))
    assert (after.alert, after.notify, after.late) == (None, True, True)
    assert step(after.state, True, at=NOW + timedelta(minutes=32)).notify is False


def test_a_silenced_firing_and_its_resolve_are_not_announced() -> None:
    fired = step(RuleState(), True, silenced=True)
    assert (fired.alert, fired.notice, fired.notify) == (AlertKind.FIRING, Notice.SILENCED, False)
    resolved = step(fired.state, False, at=NOW + timedelta(minutes=1))
    assert (resolved.alert, resolved.notice, resolved.notify) == (
        AlertKind.RESOLVED,
        Notice.FIRING_UNANNOUNCED,
        False,
    )


def test_a_firing_outlasting_its_silence_is_announced_when_the_silence_ends() -> None:
    fired = step(RuleState(), True, silenced=True)
    during = step(fired.state, True, at=NOW + timedelta(minutes=1), silenced=True)
    assert during.notify is False
    after = step(during.state, True, at=NOW + timedelta(minutes=2))
    assert (after.notify, after.late, after.state.open_notified) == (True, True, True)
    resolved = step(after.state, False, at=NOW + timedelta(minutes=3))
    assert resolved.notify is True


def test_no_channels_is_recorded() -> None:
    fired = step(RuleState(), True, channels=False)
    assert (fired.notice, fired.notify) == (Notice.NO_CHANNELS, False)


def test_the_open_alert_is_the_callers_to_set() -> None:
    state = RuleState(state=AlertState.FIRING, open_alert_id=uuid4(), open_notified=True, notified_at=NOW)
    resolved = step(state, False)
    assert resolved.state.open_alert_id is None and resolved.state.open_notified is False
