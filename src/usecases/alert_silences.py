"""Use cases: silences (mute one rule's notifications from a start to an end)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from src.domain.alerting.model import Silence
from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.text import require_storable

MAX_DURATION = timedelta(days=90)
MAX_COMMENT = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class SilenceIn:
    rule_id: UUID
    # One of the two: an end, or a duration from the start.
    ends_at: datetime | None = None
    duration: timedelta | None = None
    starts_at: datetime | None = None  # now when not given
    comment: str = ""


class AlertSilences:
    """Rules: reading needs `read`, writing the scope saved searches need (`read`); a silence names a
    rule of the tenant (422 otherwise), ends after it starts and after now, lasts at most 90 days.
    Evaluation goes on while silenced (the state and history stay true); only notifications stop."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def create(self, *, principal: Principal, body: SilenceIn) -> Silence:
        principal.require(Scope.READ)
        require_storable(body.comment, field="comment")
        now = self._clock()
        starts = body.starts_at or now
        if len(body.comment) > MAX_COMMENT:
            raise InvalidInput(f"comment is at most {MAX_COMMENT} characters", details={"field": "comment"})
        if (body.ends_at is None) == (body.duration is None):
            raise InvalidInput("give either ends_at or duration_seconds", details={"field": "ends_at"})
        ends = body.ends_at or starts + (body.duration or timedelta())
        if ends <= max(starts, now):
            raise InvalidInput("ends_at must be after starts_at and after now", details={"field": "ends_at"})
        if ends - starts > MAX_DURATION:
            raise InvalidInput("a silence lasts at most 90 days", details={"field": "ends_at"})
        silence = Silence(
            tenant_id=principal.tenant_id,
            id=new_id(),
            rule_id=body.rule_id,
            starts_at=starts,
            ends_at=ends,
            comment=body.comment,
            created_by=principal.subject,
            created_at=now,
        )
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if await uow.alert_rules.get(tenant_id=principal.tenant_id, rule_id=body.rule_id) is None:
                raise InvalidInput("no such alert rule", code="unknown_rule", details={"field": "rule_id"})
            await uow.alert_silences.add(silence=silence)
            await uow.commit()
        return silence

    async def list(self, *, principal: Principal, include_expired: bool) -> list[Silence]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.alert_silences.list(
                tenant_id=principal.tenant_id, ending_after=None if include_expired else self._clock()
            )

    async def delete(self, *, principal: Principal, silence_id: UUID) -> None:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if not await uow.alert_silences.delete(tenant_id=principal.tenant_id, silence_id=silence_id):
                raise NotFound("no such silence", details={"id": str(silence_id)})
            await uow.commit()
