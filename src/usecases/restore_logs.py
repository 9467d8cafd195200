"""Use case: re-import archived events of a time range into PostgreSQL and the search index."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.archive import ArchiveFormat, Manifest, manifest_prefix
from src.domain.logs import LogEvent
from src.domain.ports.archive_codec import ArchiveCodec
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.task_queue import QueueMessage
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.usecases.archive_logs import ArchiveMismatch
from src.usecases.mine_patterns import MinePatterns
from src.usecases.task_lifecycle import TaskLifecycle, TaskRefused


class RestoreLogs:
    """Rules: only the tenant's own manifests are read; objects are checked against their SHA-256 and
    read in the format their manifest names (archives keep their format when the tenant's changes);
    rows already present (same id) are not inserted again, so a restore can be repeated; restored
    rows are mined for patterns (when mining is on, as the index worker does) and indexed at once."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        index: SearchIndex,
        *,
        codecs: Mapping[ArchiveFormat, ArchiveCodec],
        max_receive_count: int = 5,
        batch_size: int = 5000,
        mine: MinePatterns | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._mine = mine
        self._codecs = codecs
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._store = store
        self._index = index
        self._batch_size = batch_size

    async def execute(self, message: QueueMessage) -> bool:
        return await self._life.run(message, frozenset({TaskType.RESTORE}), self._restore, what="restore")

    async def _restore(self, task: AsyncTask, message: QueueMessage) -> dict[str, Any]:
        start = datetime.fromisoformat(task.payload["from"])
        end = datetime.fromisoformat(task.payload["to"])
        restored = present = indexed = 0
        manifests = await self._store.list(prefix=manifest_prefix(task.tenant_id))
        missing = await self._missing_archive(task.tenant_id, start, {m.key for m in manifests})
        if missing is not None:
            # Restoring what is left would "succeed" with fewer rows and hide the loss (an archive
            # store that came back empty): the range was archived, so its archive must be there.
            raise TaskRefused(
                f"the archive written by task {missing} (events before {task.payload['to']} may be in it) "
                "is missing from the archive store; nothing restored"
            )
        for listed in manifests:
            raw = await self._store.get(key=listed.key)
            if raw is None:
                continue
            manifest = Manifest.from_json(raw)
            codec = self._codecs[manifest.archive_format]
            for obj in manifest.objects:
                if obj.max_timestamp < start or obj.min_timestamp > end:
                    continue
                data = await self._store.get(key=obj.key)
                if data is None or hashlib.sha256(data).hexdigest() != obj.sha256:
                    raise ArchiveMismatch(f"archive object {obj.key} is missing or damaged")
                events = [
                    e
                    for e in codec.read(data, tenant_id=task.tenant_id)
                    if start <= e.timestamp <= end and e.tenant_id == task.tenant_id
                ]
                for i in range(0, len(events), self._batch_size):
                    batch = events[i : i + self._batch_size]
                    new = await self._insert(task.tenant_id, batch)
                    restored += new
                    present += len(batch) - new
                    if self._mine is not None:  # archives hold no pattern ids: mine as at first ingest
                        batch = await self._mine.execute(batch)
                    report = await self._index.index(batch)
                    indexed += report.indexed
                await self._life.progress(task, {"restored": restored, "already_present": present})
        return {"restored": restored, "already_present": present, "indexed": indexed}

    async def _missing_archive(self, tenant_id: UUID, start: datetime, listed: set[str]) -> UUID | None:
        """A succeeded archive task that may hold events of [start, …) whose manifest is not in the store."""
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            done = await uow.tasks.list(
                tenant_id=tenant_id, task_type=TaskType.ARCHIVE, status=TaskStatus.SUCCEEDED, limit=1000
            )
        for archive in done:
            before = archive.payload.get("before")
            reaches = before is not None and datetime.fromisoformat(before) > start
            rows = int(archive.result.get("rows_archived", 0))
            if reaches and rows > 0 and archive.result.get("manifest_key") not in listed:
                return archive.task_id
        return None

    async def _insert(self, tenant_id: object, events: list[LogEvent]) -> int:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(events[0].tenant_id)
            new = await uow.logs.restore_many(events=events)
            await uow.commit()
        return new
