"""MinePatterns over fakes of its ports: two workers agree on ids, retries count once, a failed
transaction leaves no miner state behind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

import pytest

from src.domain.error_groups.group import ErrorGroup, ErrorGroupFilter, ErrorOccurrences, ErrorStatus
from src.domain.logs import LogEvent
from src.domain.patterns.pattern import Pattern
from src.domain.patterns.records import MinuteCount, PatternChange, PatternFilter, PatternSummary
from src.domain.ports.error_group_repository import ErrorGroupRepository
from src.domain.ports.pattern_repository import PatternRepository
from src.domain.severity import Severity
from src.usecases.mine_patterns import MinePatterns, MinerCache
from tests.unit.error_groups.traces import python_trace

TENANT = uuid4()
BASE = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@dataclass
class Store:
    revision: dict[tuple[UUID, str], int] = field(default_factory=dict)
    patterns: dict[str, PatternChange] = field(default_factory=dict)
    assigned: dict[UUID, str] = field(default_factory=dict)
    counts: dict[tuple[str, datetime], int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    fail_commits: int = 0


class FakePatterns(PatternRepository):
    def __init__(self, store: Store, staged: list[Callable[[], None]]) -> None:
        self._s, self._staged = store, staged

    async def lock_miner(self, *, tenant_id: UUID, service: str) -> int:
        return self._s.revision.get((tenant_id, service), 0)

    async def set_revision(self, *, tenant_id: UUID, service: str, revision: int) -> None:
        self._staged.append(lambda: self._s.revision.__setitem__((tenant_id, service), revision))

    async def load(self, *, tenant_id: UUID, service: str, limit: int) -> list[Pattern]:
        return [
            Pattern(id=p.id, tokens=p.template.split(" "), count=p.mined_count, aliases=list(p.aliases))
            for p in self._s.patterns.values()
        ]

    async def current(self, *, tenant_id: UUID, events: Sequence[LogEvent]) -> dict[UUID, str | None]:
        return {e.id: self._s.assigned.get(e.id) for e in events}

    async def assign(self, *, tenant_id: UUID, events: Sequence[LogEvent]) -> None:
        def apply() -> None:
            for e in events:
                self._s.assigned.setdefault(e.id, e.pattern_id or "")

        self._staged.append(apply)

    async def save(self, *, tenant_id: UUID, service: str, changes: Sequence[PatternChange]) -> None:
        self._staged.append(lambda: self._s.patterns.update((c.id, c) for c in changes))

    async def add_counts(self, *, tenant_id: UUID, service: str, counts: Sequence[MinuteCount]) -> None:
        def apply() -> None:
            for c in counts:
                key = (c.pattern_id, c.minute)
                self._s.counts[key] = self._s.counts.get(key, 0) + c.total

        self._staged.append(apply)

    async def search(self, *, tenant_id: UUID, where: PatternFilter) -> list[PatternSummary]:
        raise NotImplementedError

    async def get(self, *, tenant_id: UUID, pattern_id: str, start: datetime, end: datetime) -> PatternSummary | None:
        raise NotImplementedError

    async def members(self, *, tenant_id: UUID, pattern_id: str) -> list[str]:
        raise NotImplementedError

    async def series(self, **_: Any) -> dict[str, list[tuple[datetime, int]]]:
        raise NotImplementedError


class FakeErrorGroups(ErrorGroupRepository):
    def __init__(self, store: Store, staged: list[Callable[[], None]]) -> None:
        self._s, self._staged = store, staged

    async def record(self, *, tenant_id: UUID, service: str, occurrences: Sequence[ErrorOccurrences]) -> None:
        def apply() -> None:
            for o in occurrences:
                self._s.errors[o.id] = self._s.errors.get(o.id, 0) + o.count

        self._staged.append(apply)

    async def search(self, *, tenant_id: UUID, where: ErrorGroupFilter) -> list[ErrorGroup]:
        raise NotImplementedError

    async def get(self, *, tenant_id: UUID, group_id: str) -> ErrorGroup | None:
        raise NotImplementedError

    async def set_status(self, *, tenant_id: UUID, group_id: str, status: ErrorStatus) -> ErrorGroup | None:
        raise NotImplementedError


class FakeUow:
    """Writes are staged and applied on commit only, as a transaction would."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._staged: list[Callable[[], None]] = []
        self.patterns = FakePatterns(store, self._staged)
        self.error_groups = FakeErrorGroups(store, self._staged)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._staged.clear()

    async def act_as_tenant(self, tenant_id: UUID) -> None:
        pass

    async def commit(self) -> None:
        if self._store.fail_commits:
            self._store.fail_commits -= 1
            raise RuntimeError("commit failed")
        for apply in self._staged:
            apply()
        self._staged.clear()


def _worker(store: Store) -> MinePatterns:
    return MinePatterns(lambda: FakeUow(store), MinerCache())  # type: ignore[arg-type,return-value]


def _event(message: str, i: int, severity: Severity = Severity.INFO) -> LogEvent:
    at = BASE + timedelta(seconds=i)
    return LogEvent(
        id=uuid4(), tenant_id=TENANT, timestamp=at, received_at=at, message=message, severity=severity,
        service="jobs", host="h1", user_id=None, action=None, trace_id=None, span_id=None, attributes={},
    )  # fmt: skip


async def test_two_workers_agree_through_the_store() -> None:
    store = Store()
    first, second = _worker(store), _worker(store)
    mined = await first.execute([_event("Job alpha finished", 0), _event("Job beta finished", 1)])
    (pid,) = {e.pattern_id for e in mined}
    assert store.patterns[pid].template == "Job <*> finished"
    # The second worker has no miner yet: it loads the first one's state before mining.
    later = await second.execute([_event("Job delta finished", 2)])
    assert [e.pattern_id for e in later] == [pid]
    # And the first notices the revision moved and reloads too.
    assert [e.pattern_id for e in await first.execute([_event("Job gamma finished", 3)])] == [pid]
    assert sum(store.counts.values()) == 4


async def test_a_retried_batch_is_counted_once_and_keeps_its_ids() -> None:
    store = Store()
    worker = _worker(store)
    events = [_event("disk /dev/sda1 at 91% full", 0, Severity.ERROR), _event(python_trace(), 1, Severity.ERROR)]
    mined = await worker.execute(events)
    again = await worker.execute(events)  # the same events, as a redelivered task loads them
    assert [e.pattern_id for e in again] == [e.pattern_id for e in mined]
    assert sum(store.counts.values()) == 2
    assert sorted(store.errors.values()) == [1, 1]  # one pattern group, one exception group


async def test_a_failed_transaction_leaves_no_state_behind() -> None:
    store = Store(fail_commits=1)
    worker = _worker(store)
    with pytest.raises(RuntimeError):
        await worker.execute([_event("Job alpha finished", 0), _event("Job beta finished", 1)])
    assert store.patterns == {} and store.assigned == {}
    # Nothing of the failed batch survives in memory: "alpha" is born again as a new pattern.
    mined = await worker.execute([_event("Job alpha finished", 2)])
    assert store.patterns[mined[0].pattern_id or ""].template == "Job alpha finished"
