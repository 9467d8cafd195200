"""Use case: re-import archived events of a time range into PostgreSQL and the search index."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime

from src.domain.archive import Manifest, event_from_line, manifest_prefix
from src.domain.logs import LogEvent
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.task_queue import QueueMessage
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import TaskStatus, TaskType
from src.usecases.archive_logs import ArchiveMismatch
from src.usecases.task_lifecycle import TaskLifecycle, failure_text


class RestoreLogs:
    """Rules: only the tenant's own manifests are read; objects are checked against their SHA-256;
    rows already present (same id) are not inserted again, so a restore can be repeated; restored
    rows are indexed at once."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        index: SearchIndex,
        *,
        max_receive_count: int = 5,
        batch_size: int = 5000,
    ) -> None:
        self._uow_factory = uow_factory
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._store = store
        self._index = index
        self._batch_size = batch_size

    async def execute(self, message: QueueMessage) -> bool:
        started = await self._life.start(message, frozenset({TaskType.RESTORE}))
        if started.task is None:
            return started.ack
        task = started.task
        start = datetime.fromisoformat(task.payload["from"])
        end = datetime.fromisoformat(task.payload["to"])
        restored = present = indexed = 0
        try:
            for listed in await self._store.list(prefix=manifest_prefix(task.tenant_id)):
                raw = await self._store.get(key=listed.key)
                if raw is None:
                    continue
                manifest = Manifest.from_json(raw)
                for obj in manifest.objects:
                    if obj.max_timestamp < start or obj.min_timestamp > end:
                        continue
                    data = await self._store.get(key=obj.key)
                    if data is None or hashlib.sha256(data).hexdigest() != obj.sha256:
                        raise ArchiveMismatch(f"archive object {obj.key} is missing or damaged")
                    events = [
                        e
                        for e in (event_from_line(line) for line in gzip.decompress(data).splitlines() if line)
                        if start <= e.timestamp <= end and e.tenant_id == task.tenant_id
                    ]
                    for i in range(0, len(events), self._batch_size):
                        batch = events[i : i + self._batch_size]
                        new = await self._insert(task.tenant_id, batch)
                        restored += new
                        present += len(batch) - new
                        report = await self._index.index(batch)
                        indexed += report.indexed
                    await self._life.progress(task, {"restored": restored, "already_present": present})
        except Exception as e:
            await self._life.fail(task, message, failure_text("restore", e), cause=e)
            return False
        await self._life.finish(
            task, TaskStatus.SUCCEEDED, result={"restored": restored, "already_present": present, "indexed": indexed}
        )
        return True

    async def _insert(self, tenant_id: object, events: list[LogEvent]) -> int:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(events[0].tenant_id)
            new = await uow.logs.restore_many(events=events)
            await uow.commit()
        return new
