"""Use case: routine storage upkeep — partitions ahead of time, expired idempotency claims, commit
order and finished reindex tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from src.domain.ports.ingest_janitor import IngestJanitor
from src.domain.ports.partition_maintainer import PartitionMaintainer


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceReport:
    partitions_checked: int
    claims_expired: int
    commits_expired: int = 0
    tasks_expired: int = 0


class MaintainStorage:
    """Rules: a partition exists for yesterday through `days_ahead` days ahead; idempotency claims
    older than `claim_ttl` are dropped (a retry after that long is a new event); commit order older than
    `commit_order_ttl` is dropped (a live stream resuming after that long replays in id order);
    reindex tasks that succeeded more than `reindex_task_ttl` ago are dropped (their events are in
    the index; the task list keeps what failed or is still under way)."""

    def __init__(
        self,
        partitions: PartitionMaintainer,
        janitor: IngestJanitor,
        *,
        days_ahead: int = 3,
        claim_ttl: timedelta = timedelta(days=7),
        commit_order_ttl: timedelta = timedelta(days=1),
        reindex_task_ttl: timedelta = timedelta(days=7),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._partitions = partitions
        self._janitor = janitor
        self._days_ahead = days_ahead
        self._claim_ttl = claim_ttl
        self._commit_order_ttl = commit_order_ttl
        self._reindex_task_ttl = reindex_task_ttl
        self._clock = clock

    async def execute(self) -> MaintenanceReport:
        now = self._clock()
        days = [(now + timedelta(days=d)).date() for d in range(-1, self._days_ahead + 1)]
        await self._partitions.ensure_days(days)
        expired = await self._janitor.expire_claims(older_than=now - self._claim_ttl)
        commits = await self._janitor.expire_commit_order(older_than=now - self._commit_order_ttl)
        tasks = await self._janitor.expire_reindex_tasks(older_than=now - self._reindex_task_ttl)
        return MaintenanceReport(
            partitions_checked=len(days), claims_expired=expired, commits_expired=commits, tasks_expired=tasks
        )
