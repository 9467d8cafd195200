"""Use cases: keep a trace of refused events, and show a tenant its recent refusals."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError
from src.domain.ports.ingest_metrics import IngestMetrics
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.rejections import RejectionSummary, count_rejections

logger = logging.getLogger(__name__)

WARN_EVERY_SECONDS = 60.0
MAX_LISTED = 200


class IngestRejections:
    """Rules:
    - every refused event is counted per tenant, route and reason (the error's stable code), in
      metrics and in the tenant's tally, with the newest refusal's message as a sample;
    - the server log gets a warning per tenant, route and reason at most once a minute per process,
      naming the reason and count but never an event's content;
    - recording is best effort: the events that were stored stay acknowledged if the tally fails;
    - a tenant reads only its own tally, with the `read` scope.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        metrics: IngestMetrics,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._metrics = metrics
        self._clock = clock
        self._monotonic = monotonic
        self._warned: dict[tuple[UUID, str, str], float] = {}

    async def record(self, *, tenant_id: UUID, route: str, errors: Sequence[DomainError]) -> None:
        counts = count_rejections(route, errors)
        if not counts:
            return
        for c in counts:
            self._metrics.observe_rejected(tenant_id=tenant_id, route=route, reason=c.reason, events=c.count)
            self._warn(tenant_id, route, c.reason, c.count)
        try:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                await uow.rejections.record(tenant_id=tenant_id, counts=counts, at=self._clock())
                await uow.commit()
        except Exception as e:  # the events are stored and answered; a lost tally must not fail the request
            # Only the type: a database error's text would carry the sample, i.e. event content.
            logger.warning("could not record ingest rejections (%s)", type(e).__name__)

    def _warn(self, tenant_id: UUID, route: str, reason: str, count: int) -> None:
        key = (tenant_id, route, reason)
        now = self._monotonic()
        last = self._warned.get(key)
        if last is not None and now - last < WARN_EVERY_SECONDS:
            return
        if len(self._warned) > 10_000:  # bounded: forget the oldest half rather than grow per tenant forever
            for old in sorted(self._warned, key=self._warned.__getitem__)[: len(self._warned) // 2]:
                del self._warned[old]
        self._warned[key] = now
        logger.warning(
            "ingest refused %d event(s): tenant=%s route=%s reason=%s (further warnings for this reason "
            "are held back for %.0f s; see GET /api/v1/ingest/rejections)",
            count,
            tenant_id,
            route,
            reason,
            WARN_EVERY_SECONDS,
        )

    async def recent(self, *, principal: Principal, limit: int = 50) -> list[RejectionSummary]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.rejections.recent(tenant_id=principal.tenant_id, limit=min(max(limit, 1), MAX_LISTED))
