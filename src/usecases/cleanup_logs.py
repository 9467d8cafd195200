"""Use case: the cleanup worker's step — delete exactly an archived range, once its manifest checks out."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from src.domain.archive import Manifest
from src.domain.errors import DomainError
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.log_purger import LogPurger
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.task_queue import QueueMessage
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskType
from src.usecases.task_lifecycle import TaskLifecycle

logger = logging.getLogger(__name__)

QUEUE = QUEUE_FOR[TaskType.LOG_CLEANUP]


class CleanupRefused(DomainError):
    code = "cleanup_refused"


class CleanupLogs:
    """Rules:
    - nothing is deleted unless the archive's manifest exists and PostgreSQL holds no more rows in
      the range than the manifest lists (fewer is a cleanup resumed after a crash);
    - PostgreSQL first (whole partitions where possible, bounded batches otherwise, then the
      per-minute pattern counts of the range), then the search index; a retry repeats both, and
      neither can reach outside the range.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        purger: LogPurger,
        index: SearchIndex,
        *,
        max_receive_count: int = 5,
        batch_size: int = 10_000,
    ) -> None:
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._store = store
        self._purger = purger
        self._index = index
        self._batch_size = batch_size

    async def execute(self, message: QueueMessage) -> bool:
        return await self._life.run(message, frozenset({TaskType.LOG_CLEANUP}), self._clean, what="cleanup")

    async def _clean(self, task: AsyncTask, message: QueueMessage) -> dict[str, Any]:
        raw = await self._store.get(key=task.payload["manifest_key"])
        if raw is None:
            raise CleanupRefused(f"the archive manifest {task.payload['manifest_key']} is missing")
        manifest = Manifest.from_json(raw)
        before = datetime.fromisoformat(task.payload["before"])
        received_before = datetime.fromisoformat(task.payload["received_before"])
        if (manifest.tenant_id, manifest.before, manifest.received_before) != (task.tenant_id, before, received_before):
            raise CleanupRefused("the manifest does not describe this cleanup's range")
        remaining = await self._purger.count(tenant_id=task.tenant_id, before=before, received_before=received_before)
        if remaining > manifest.rows:
            raise CleanupRefused(
                f"{remaining} rows are in the range but only {manifest.rows} were archived; nothing deleted"
            )
        report = await self._purger.purge(
            tenant_id=task.tenant_id, before=before, received_before=received_before, batch_size=self._batch_size
        )
        await self._life.progress(task, {"deleted_rows": report.deleted_rows})
        documents = await self._index.delete_archived(
            tenant_id=task.tenant_id, before=before, received_before=received_before
        )
        return {
            "deleted_rows": report.deleted_rows,
            "already_deleted": manifest.rows - remaining,
            "dropped_partitions": report.dropped_partitions,
            "deleted_documents": documents,
            "deleted_pattern_minutes": report.deleted_pattern_minutes,
        }
