"""Use case: enforce each tenant's retention by scheduling archive + cleanup of what is past it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from src.domain.ids import new_id
from src.domain.ports.leader_lock import LeaderLock
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.domain.wire import rfc3339
from src.usecases.publish_tasks import PublishTasks

logger = logging.getLogger(__name__)


class ScheduleRetention:
    """Rules:
    - one scheduler acts across all processes (a leader lock); the others do nothing;
    - for each active tenant with events older than `retention_days`, an `archive` task with
      `before = now - retention_days` is created, unless one is already pending or running;
    - the archive task leads to cleanup as a manual request does: nothing is deleted unarchived.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        lock: LeaderLock,
        publish: PublishTasks,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._lock = lock
        self._publish = publish
        self._clock = clock

    async def execute(self) -> list[AsyncTask]:
        if not await self._lock.try_acquire():
            return []
        now = self._clock()
        scheduled: list[AsyncTask] = []
        async with self._uow_factory() as uow:
            tenants = [t for t in await uow.tenants.list() if t.is_active]
        for tenant in tenants:
            before = now - timedelta(days=tenant.retention_days)
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant.id)
                if not await uow.reader.count(tenant_id=tenant.id, end=before - timedelta(microseconds=1)):
                    continue
                busy = [
                    t
                    for status in (TaskStatus.PENDING, TaskStatus.RUNNING)
                    for t in await uow.tasks.list(
                        tenant_id=tenant.id, task_type=TaskType.ARCHIVE, status=status, limit=1
                    )
                ]
                if busy:
                    continue
                task = AsyncTask(
                    task_id=new_id(),
                    tenant_id=tenant.id,
                    task_type=TaskType.ARCHIVE,
                    user_id="retention",
                    payload={"before": rfc3339(before), "reason": f"retention {tenant.retention_days} days"},
                )
                await uow.tasks.add_many(tasks=[task])
                await uow.commit()
            scheduled.append(task)
        if scheduled:
            await self._publish.after_commit(scheduled)
        return scheduled
