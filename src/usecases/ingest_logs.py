"""Use case: store a tenant's log events durably."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError
from src.domain.event_limits import EventLimits, check_event
from src.domain.ids import new_ids
from src.domain.logs import LogDraft, LogEvent, StoredRef
from src.usecases.group_commit import GroupCommitWriter
from src.usecases.ingest_rejections import IngestRejections


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestRequest:
    principal: Principal
    # Items the edge could not even read as an event arrive as errors, to keep their index.
    items: Sequence[LogDraft | DomainError]
    # Where the events came from (`api`, `elasticsearch_bulk`, `loki_push` …), for the rejection tally.
    route: str = "api"


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestResult:
    outcomes: list[StoredRef | DomainError]
    # Counted once: routes ask for both counts, and a bulk batch holds thousands of outcomes.
    accepted: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "accepted", sum(1 for o in self.outcomes if isinstance(o, StoredRef)))

    @property
    def rejected(self) -> int:
        return len(self.outcomes) - self.accepted


class IngestLogs:
    """Rules:
    - the caller needs the `ingest` scope; the tenant is the principal's, never the payload's;
    - each event is checked on its own: one bad event rejects only itself;
    - a missing timestamp becomes the time of receipt; one too far in the future is refused;
    - an event whose client id (or Idempotency-Key) was seen before is not stored again: the
      earlier id and timestamp are answered; the same key with another body is a Conflict;
    - the answer comes only after the commit that holds the events;
    - refused events are counted per route and reason (see IngestRejections).
    """

    def __init__(
        self,
        writer: GroupCommitWriter,
        *,
        limits: EventLimits,
        rejections: IngestRejections | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._writer = writer
        self._rejections = rejections
        self._limits = limits
        self._clock = clock

    async def execute(self, request: IngestRequest) -> IngestResult:
        request.principal.require(Scope.INGEST)
        now = self._clock()
        outcomes: list[StoredRef | DomainError | None] = []
        events: list[LogEvent] = []
        hashes: list[str | None] = []
        positions: list[int] = []
        tenant_id = request.principal.tenant_id
        ids = iter(new_ids(len(request.items)))  # generated in bulk; one per event stored
        for item in request.items:
            if isinstance(item, DomainError):
                outcomes.append(item)
                continue
            try:
                draft = check_event(item, limits=self._limits, now=now)
            except DomainError as e:
                outcomes.append(e)
                continue
            assert draft.timestamp is not None
            positions.append(len(outcomes))
            outcomes.append(None)
            hashes.append(draft.request_hash)
            events.append(
                LogEvent(
                    id=next(ids),
                    tenant_id=tenant_id,
                    timestamp=draft.timestamp,
                    received_at=now,
                    message=draft.message,
                    severity=draft.severity,
                    service=draft.service,
                    host=draft.host,
                    user_id=draft.user_id,
                    action=draft.action,
                    trace_id=draft.trace_id,
                    span_id=draft.span_id,
                    attributes=draft.attributes,
                    client_id=draft.client_id,
                )
            )
        if events:
            stored = await self._writer.write(
                tenant_id=tenant_id, user_id=request.principal.subject, events=events, request_hashes=hashes
            )
            for position, outcome in zip(positions, stored, strict=True):
                outcomes[position] = outcome
        result = IngestResult(outcomes=[o for o in outcomes if o is not None])
        if result.rejected and self._rejections is not None:
            errors = [o for o in result.outcomes if isinstance(o, DomainError)]
            await self._rejections.record(tenant_id=tenant_id, route=request.route, errors=errors)
        return result
