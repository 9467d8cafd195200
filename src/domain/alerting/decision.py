"""The state machine one evaluation of a rule runs: what the new state is, and what to announce.

ok / resolved ──breached──▶ firing      a new alert; announced unless silenced, in cooldown
                                        or without channels
firing ──breached──▶ firing             nothing new (de-duplication); an alert kept quiet by a
                                        silence or the cooldown is announced once that ends
firing ──clear──▶ resolved              a resolve, announced only if the firing was
ok / resolved ──clear──▶ unchanged
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from src.domain.alerting.model import AlertKind, AlertState, Notice, RuleState


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    state: RuleState
    # A new alert to record (firing or resolved), or None.
    alert: AlertKind | None = None
    notice: Notice | None = None
    # Announce: the new alert, or (`late`) the firing alert that was kept quiet until now.
    notify: bool = False
    late: bool = False


def _quiet(
    state: RuleState, *, now: datetime, silenced: bool, has_channels: bool, cooldown: timedelta
) -> Notice | None:
    if silenced:
        return Notice.SILENCED
    if not has_channels:
        return Notice.NO_CHANNELS
    if state.notified_at is not None and now - state.notified_at < cooldown:
        return Notice.COOLDOWN
    return None


def decide(
    state: RuleState,
    *,
    value: float,
    breached: bool,
    now: datetime,
    silenced: bool,
    has_channels: bool,
    cooldown: timedelta,
) -> Decision:
    seen = replace(state, value=value, evaluated_at=now, error=None)
    if not breached:
        if state.state is not AlertState.FIRING:
            return Decision(state=seen)
        announce = state.open_notified and not silenced
        return Decision(
            state=replace(seen, state=AlertState.RESOLVED, since=now, open_alert_id=None, open_notified=False),
            alert=AlertKind.RESOLVED,
            notice=Notice.NOTIFIED if announce else Notice.SILENCED if silenced else Notice.FIRING_UNANNOUNCED,
            notify=announce,
        )
    quiet = _quiet(state, now=now, silenced=silenced, has_channels=has_channels, cooldown=cooldown)
    if state.state is AlertState.FIRING:
        if state.open_notified or quiet is not None:
            return Decision(state=seen)
        return Decision(state=replace(seen, notified_at=now, open_notified=True), notify=True, late=True)
    return Decision(
        state=replace(
            seen,
            state=AlertState.FIRING,
            since=now,
            open_notified=quiet is None,
            notified_at=now if quiet is None else state.notified_at,
        ),
        alert=AlertKind.FIRING,
        notice=quiet or Notice.NOTIFIED,
        notify=quiet is None,
    )
