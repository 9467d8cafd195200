"""Use cases: a tenant's alert rules (create, list, get, replace, delete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from src.domain.alerting.condition import parse_condition
from src.domain.alerting.model import AlertRule
from src.domain.credentials import Principal, Scope
from src.domain.errors import Conflict, InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.querylang.language import parse_filter
from src.domain.text import require_storable

MAX_PER_TENANT = 500
MAX_NAME = 200
MAX_CHANNELS = 20
MAX_COOLDOWN_SECONDS = 7 * 86400


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRuleIn:
    name: str
    condition: str
    query: str = ""
    service: str | None = None
    channel_ids: tuple[UUID, ...] = ()
    cooldown_seconds: int = 0
    enabled: bool = True


def _rule(tenant_id: UUID, rule_id: UUID, body: AlertRuleIn) -> AlertRule:
    for field, value in (("name", body.name), ("query", body.query), ("service", body.service or "")):
        require_storable(value, field=field)
    name = body.name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(f"name is 1-{MAX_NAME} characters", details={"field": "name"})
    # The filter must run: a pipeline would not give one number per window.
    parse_filter(body.query, now=datetime.now(UTC), query_field="query", where="in an alert rule")
    if not 0 <= body.cooldown_seconds <= MAX_COOLDOWN_SECONDS:
        raise InvalidInput("cooldown_seconds is 0 to 7 days", details={"field": "cooldown_seconds"})
    channel_ids = tuple(dict.fromkeys(body.channel_ids))
    if len(channel_ids) > MAX_CHANNELS:
        raise InvalidInput(f"a rule notifies at most {MAX_CHANNELS} channels", details={"field": "channel_ids"})
    return AlertRule(
        tenant_id=tenant_id,
        id=rule_id,
        name=name,
        query=body.query.strip(),
        condition=parse_condition(body.condition),
        service=body.service or None,
        channel_ids=channel_ids,
        cooldown_seconds=body.cooldown_seconds,
        enabled=body.enabled,
    )


async def _require_channels(uow: UnitOfWork, rule: AlertRule) -> None:
    found = {c.id for c in await uow.alert_channels.list(tenant_id=rule.tenant_id, ids=rule.channel_ids)}
    missing = [str(i) for i in rule.channel_ids if i not in found]
    if missing:
        raise InvalidInput(
            "no such alert channel", code="unknown_channel", details={"field": "channel_ids", "ids": missing}
        )


class AlertRules:
    """Rules: reading needs `read`; writing needs what saved searches need (`read`: a rule changes no
    log data). The tenant is the principal's and RLS holds it; names are unique per tenant (409);
    the condition and the query must parse and the channels exist in the tenant (422)."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def create(self, *, principal: Principal, body: AlertRuleIn) -> AlertRule:
        principal.require(Scope.READ)
        rule = _rule(principal.tenant_id, new_id(), body)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if await uow.alert_rules.count(tenant_id=principal.tenant_id) >= MAX_PER_TENANT:
                raise InvalidInput(f"a tenant keeps at most {MAX_PER_TENANT} alert rules", code="too_many_alert_rules")
            await _require_channels(uow, rule)
            if not await uow.alert_rules.add(rule=rule):
                raise Conflict(f"an alert rule named {rule.name!r} exists", details={"name": rule.name})
            stored = await uow.alert_rules.get(tenant_id=principal.tenant_id, rule_id=rule.id)
            await uow.commit()
        return stored or rule

    async def list(self, *, principal: Principal) -> list[AlertRule]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.alert_rules.list(tenant_id=principal.tenant_id)

    async def get(self, *, principal: Principal, rule_id: UUID) -> AlertRule:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.alert_rules.get(tenant_id=principal.tenant_id, rule_id=rule_id)
        if found is None:
            raise NotFound("no such alert rule", details={"id": str(rule_id)})
        return found

    async def replace(self, *, principal: Principal, rule_id: UUID, body: AlertRuleIn) -> AlertRule:
        """The definition changes; the state (firing or not) stays until the next evaluation."""
        principal.require(Scope.READ)
        rule = _rule(principal.tenant_id, rule_id, body)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if await uow.alert_rules.get(tenant_id=principal.tenant_id, rule_id=rule_id) is None:
                raise NotFound("no such alert rule", details={"id": str(rule_id)})
            await _require_channels(uow, rule)
            if not await uow.alert_rules.update(rule=rule):
                raise Conflict(f"an alert rule named {rule.name!r} exists", details={"name": rule.name})
            stored = await uow.alert_rules.get(tenant_id=principal.tenant_id, rule_id=rule_id)
            await uow.commit()
        return stored or rule

    async def delete(self, *, principal: Principal, rule_id: UUID) -> None:
        """The rule's history stays (alerts name the rule they came from)."""
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if not await uow.alert_rules.delete(tenant_id=principal.tenant_id, rule_id=rule_id):
                raise NotFound("no such alert rule", details={"id": str(rule_id)})
            await uow.commit()
