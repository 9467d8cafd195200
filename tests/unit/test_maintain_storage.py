"""MaintainStorage: each kind of leftover expires at its own age, counted in the report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest

from src.usecases.maintain_storage import MaintainStorage

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class FakePartitions:
    def __init__(self) -> None:
        self.days: list[date] = []

    async def ensure_days(self, days: Iterable[date]) -> None:
        self.days = list(days)


class FakeJanitor:
    def __init__(self) -> None:
        self.cutoffs: dict[str, datetime] = {}

    async def expire_claims(self, *, older_than: datetime) -> int:
        self.cutoffs["claims"] = older_than
        return 3

    async def expire_commit_order(self, *, older_than: datetime) -> int:
        self.cutoffs["commit_order"] = older_than
        return 2

    async def expire_reindex_tasks(self, *, older_than: datetime) -> int:
        self.cutoffs["reindex_tasks"] = older_than
        return 5


# Midday, and either edge of the UTC day: the partitions' window is counted in days from the clock's.
@pytest.mark.parametrize("now", [NOW, NOW.replace(hour=0, minute=5), NOW.replace(hour=23, minute=55)])
async def test_each_leftover_expires_at_its_own_age(now: datetime) -> None:
    partitions, janitor = FakePartitions(), FakeJanitor()
    report = await MaintainStorage(partitions, janitor, reindex_task_ttl=timedelta(days=2), clock=lambda: now).execute()
    assert janitor.cutoffs == {
        "claims": now - timedelta(days=7),
        "commit_order": now - timedelta(days=1),
        "reindex_tasks": now - timedelta(days=2),
    }
    assert (report.claims_expired, report.commits_expired, report.tasks_expired) == (3, 2, 5)
    assert partitions.days[0] == date(2026, 12, 2) and partitions.days[-1] == date(2026, 12, 6)


async def test_succeeded_reindex_tasks_are_kept_a_week_by_default() -> None:
    janitor = FakeJanitor()
    await MaintainStorage(FakePartitions(), janitor, clock=lambda: NOW).execute()
    assert janitor.cutoffs["reindex_tasks"] == NOW - timedelta(days=7)
