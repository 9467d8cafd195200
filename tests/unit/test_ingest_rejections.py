"""IngestRejections: counted in metrics and in the tenant's tally, warned about once a minute, best effort."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest

from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError, Forbidden, InvalidEvent
from src.domain.ports.ingest_metrics import NoMetrics
from src.usecases.ingest_rejections import IngestRejections
from tests.fakes import FakeUnitOfWorkFactory

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Recorder(NoMetrics):
    def __init__(self) -> None:
        self.rejected: list[tuple[str, str, int]] = []

    def observe_rejected(self, *, tenant_id: UUID, route: str, reason: str, events: int) -> None:
        self.rejected.append((route, reason, events))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def errors(*codes: str) -> list[DomainError]:
    return [InvalidEvent(f"refused: {code}", code=code) for code in codes]


async def test_counts_per_reason_and_warns_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    uow, metrics, clock = FakeUnitOfWorkFactory(), Recorder(), Clock()
    rejections = IngestRejections(uow, metrics, clock=lambda: NOW, monotonic=clock)
    tenant = uuid.uuid4()
    caplog.set_level(logging.WARNING)
    await rejections.record(tenant_id=tenant, route="es", errors=errors("a", "b", "a"))
    clock.now = 30.0
    await rejections.record(tenant_id=tenant, route="es", errors=errors("a"))
    clock.now = 61.0
    await rejections.record(tenant_id=tenant, route="es", errors=errors("a"))
    assert metrics.rejected == [("es", "a", 2), ("es", "b", 1), ("es", "a", 1), ("es", "a", 1)]
    warned = [r.getMessage() for r in caplog.records if "ingest refused" in r.getMessage()]
    assert [w.split("reason=")[1].split(" ")[0] for w in warned] == ["a", "b", "a"]
    principal = Principal(tenant_id=tenant, subject="k", scopes=frozenset({Scope.READ}), via="api_key")
    tally = {r.reason: r.count for r in await rejections.recent(principal=principal)}
    assert tally == {"a": 4, "b": 1}
    stranger = Principal(tenant_id=uuid.uuid4(), subject="k", scopes=frozenset({Scope.READ}), via="api_key")
    assert await rejections.recent(principal=stranger) == []


async def test_reading_needs_the_read_scope() -> None:
    rejections = IngestRejections(FakeUnitOfWorkFactory(), NoMetrics())
    principal = Principal(tenant_id=uuid.uuid4(), subject="k", scopes=frozenset({Scope.INGEST}), via="api_key")
    with pytest.raises(Forbidden):
        await rejections.recent(principal=principal)


async def test_a_failing_tally_does_not_fail_the_request(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakeUnitOfWorkFactory):
        def __call__(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("INSERT ... [parameters: secret event text]")

    rejections = IngestRejections(Broken(), NoMetrics())
    caplog.set_level(logging.WARNING)
    await rejections.record(tenant_id=uuid.uuid4(), route="api", errors=errors("x"))
    assert any("could not record ingest rejections (RuntimeError)" in r.getMessage() for r in caplog.records)
    assert not any("secret event text" in r.getMessage() for r in caplog.records)
