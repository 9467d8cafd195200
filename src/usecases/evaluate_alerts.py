"""Use case: evaluate every enabled alert rule of every tenant once, record what changed, and queue
the notifications (the alerts worker calls it on a schedule; tests call it directly)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.alerting.condition import RuleKind
from src.domain.alerting.decision import decide
from src.domain.alerting.model import Alert, AlertKind, AlertRule, Delivery, DeliveryStatus, Notice
from src.domain.errors import DependencyUnavailable, DomainError
from src.domain.ids import new_id
from src.domain.ports.alert_signals import AlertSignals
from src.domain.ports.leader_lock import LeaderLock
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.querylang.errors import UnsupportedQuery
from src.domain.querylang.language import parse_filter
from src.domain.querylang.pipeline import Aggregate, Plan
from src.domain.querylang.table import PipelineQuery, PipelineRows
from src.domain.severity import Severity
from src.usecases.deliver_notifications import DeliverNotifications

logger = logging.getLogger(__name__)

_BY_SEVERITY = Plan(aggregates=(Aggregate("count"),), group_by=("severity",))
_ERRORS = {s.name for s in Severity if s >= Severity.ERROR}


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    rules: int = 0
    alerts: int = 0
    errors: int = 0
    attempts: int = 0

    def __bool__(self) -> bool:  # the periodic loop logs a round only when something happened
        return bool(self.alerts or self.errors or self.attempts)


class EvaluateAlerts:
    """Rules:
    - one evaluator acts across all processes (a leader lock), as the retention scheduler does;
    - count and error ratio are measured on PostgreSQL, the source of truth (an acknowledged event
      counts at once, whatever the search index's lag); a filter PostgreSQL cannot run exactly goes
      to the search index; the window is [now - window, now];
    - the analytics kinds read `AlertSignals`; a rule that cannot be measured keeps its state and
      shows the error (`state.error`);
    - each rule's decision (see `src/domain/alerting/decision.py`), its alert and its deliveries
      commit together, so a restart neither loses a firing nor announces it twice;
    - the due notifications are sent right after the round.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        index: SearchIndex,
        signals: AlertSignals,
        lock: LeaderLock,
        deliver: DeliverNotifications,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._index = index
        self._signals = signals
        self._lock = lock
        self._deliver = deliver
        self._clock = clock

    async def execute(self) -> EvaluationReport:
        if not await self._lock.try_acquire():
            return EvaluationReport()
        now = self._clock()
        async with self._uow_factory() as uow:
            tenants = await uow.alert_rules.tenants_with_rules()
        rules = alerts = errors = 0
        for tenant_id in tenants:
            r, a, e = await self._evaluate_tenant(tenant_id, now)
            rules, alerts, errors = rules + r, alerts + a, errors + e
        attempts = await self._deliver.execute()
        return EvaluationReport(rules=rules, alerts=alerts, errors=errors, attempts=attempts)

    async def _evaluate_tenant(self, tenant_id: UUID, now: datetime) -> tuple[int, int, int]:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            rules = await uow.alert_rules.list(tenant_id=tenant_id, enabled_only=True)
            silenced = await uow.alert_silences.silenced_rules(tenant_id=tenant_id, at=now)
        alerts = errors = 0
        for rule in rules:
            try:
                alerts += await self._evaluate_rule(rule, now, rule.id in silenced)
            except DomainError as e:
                errors += 1
                logger.warning("alert rule %s of tenant %s cannot be evaluated: %s", rule.id, tenant_id, e.message)
                async with self._uow_factory() as uow:
                    await uow.act_as_tenant(tenant_id)
                    state = replace(rule.state, evaluated_at=now, error=e.message[:500])
                    await uow.alert_rules.save_state(tenant_id=tenant_id, rule_id=rule.id, state=state)
                    await uow.commit()
        return len(rules), alerts, errors

    async def _evaluate_rule(self, rule: AlertRule, now: datetime, silenced: bool) -> int:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(rule.tenant_id)
            value = await self._measure(uow, rule, now)
            channels = await uow.alert_channels.list(tenant_id=rule.tenant_id, ids=rule.channel_ids)
            decision = decide(
                rule.state,
                value=value,
                breached=rule.condition.breached(value),
                now=now,
                silenced=silenced,
                has_channels=bool(channels),
                cooldown=timedelta(seconds=rule.cooldown_seconds),
            )
            state = decision.state
            announce: UUID | None = None
            if decision.alert is not None:
                assert decision.notice is not None
                alert = Alert(
                    tenant_id=rule.tenant_id,
                    id=new_id(),
                    rule_id=rule.id,
                    rule_name=rule.name,
                    kind=decision.alert,
                    condition=rule.condition.describe(),
                    query=rule.query,
                    value=value,
                    at=now,
                    notice=decision.notice,
                    firing_id=rule.state.open_alert_id if decision.alert is AlertKind.RESOLVED else None,
                )
                await uow.alert_history.add_alert(alert=alert)
                if decision.alert is AlertKind.FIRING:
                    state = replace(state, open_alert_id=alert.id)
                if decision.notify:
                    announce = alert.id
            elif decision.late and rule.state.open_alert_id is not None:
                await uow.alert_history.set_notice(
                    tenant_id=rule.tenant_id, alert_id=rule.state.open_alert_id, notice=Notice.NOTIFIED
                )
                announce = rule.state.open_alert_id
            if announce is not None:
                await uow.alert_history.add_deliveries(
                    deliveries=[
                        Delivery(
                            tenant_id=rule.tenant_id,
                            id=new_id(),
                            alert_id=announce,
                            channel_id=c.id,
                            channel_name=c.name,
                            channel_type=c.type,
                            status=DeliveryStatus.PENDING,
                            next_attempt_at=now,
                        )
                        for c in channels
                    ]
                )
            await uow.alert_rules.save_state(tenant_id=rule.tenant_id, rule_id=rule.id, state=state)
            await uow.commit()
        return 1 if decision.alert is not None else 0

    async def _measure(self, uow: UnitOfWork, rule: AlertRule, now: datetime) -> float:
        condition = rule.condition
        start = now - timedelta(seconds=condition.window_seconds)
        if condition.kind is RuleKind.NEW_PATTERN:
            return float(
                await self._signals.new_patterns(tenant_id=rule.tenant_id, service=rule.service, start=start, end=now)
            )
        if condition.kind is RuleKind.NEW_ERROR_GROUP:
            return float(
                await self._signals.new_error_groups(
                    tenant_id=rule.tenant_id, service=rule.service, start=start, end=now
                )
            )
        if condition.kind is RuleKind.ANOMALY_SCORE:
            return await self._signals.max_anomaly_score(
                tenant_id=rule.tenant_id, service=rule.service, start=start, end=now
            )
        # `end` is inclusive in the pipeline; the window is [start, now).
        query = PipelineQuery(
            start=start,
            end=now - timedelta(microseconds=1),
            filter=parse_filter(rule.query, now=now, query_field="query"),
            plan=_BY_SEVERITY,
        )
        rows = await self._rows(uow, rule.tenant_id, query)
        per_severity = {str(g.get("severity")): int(g.get("count") or 0) for g in rows.groups or []}
        total = sum(per_severity.values())
        if condition.kind is RuleKind.COUNT:
            return float(total)
        errors = sum(n for name, n in per_severity.items() if name in _ERRORS)
        return errors / total if total else 0.0

    async def _rows(self, uow: UnitOfWork, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        try:
            return await uow.reader.run_pipeline(tenant_id=tenant_id, query=query)
        except UnsupportedQuery:
            pass
        try:
            return await self._index.run_pipeline(tenant_id=tenant_id, query=query)
        except UnsupportedQuery as e:
            raise DependencyUnavailable(f"neither store can run this rule's query: {e.message}") from e
