"""Use case: the archive worker's step — copy an archived range to the object store, verify it,
then hand the range to cleanup."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from src.domain.archive import (
    DEFAULT_FORMAT,
    ArchivedObject,
    ArchiveFormat,
    Manifest,
    manifest_key,
    object_key,
)
from src.domain.errors import DomainError
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.ports.archive_codec import ArchiveCodec, ArchivePartWriter
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskType
from src.domain.wire import rfc3339
from src.usecases.publish_tasks import PublishTasks
from src.usecases.task_lifecycle import Outcome, TaskLifecycle

logger = logging.getLogger(__name__)

QUEUE = QUEUE_FOR[TaskType.ARCHIVE]


class ArchiveMismatch(DomainError):
    code = "archive_mismatch"


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


@dataclass(slots=True)
class _Part:
    day: date
    number: int
    writer: ArchivePartWriter
    rows: int = 0
    # The events' size as NDJSON, whatever the format: the manifest's measure of compression.
    raw_bytes: int = 0
    min_ts: datetime | None = None
    max_ts: datetime | None = None

    def add(self, event: LogEvent) -> None:
        self.raw_bytes += self.writer.add(event)
        self.rows += 1
        self.min_ts = self.min_ts or event.timestamp
        self.max_ts = event.timestamp  # rows arrive in timestamp order

    def finish(self) -> bytes:
        return self.writer.finish()


class ArchiveLogs:
    """Rules:
    - the range is the tenant's events with timestamp < `before` that were received before
      `received_before`: the time of the request, so everything acknowledged before it is in;
      the worker reads the range only once the settle window has passed after that moment (no
      transaction still in flight can then add rows to it); cleanup deletes exactly it;
    - objects are in the tenant's archive format (else the platform default; chosen once per task
      and recorded in it), one series of parts per UTC day, cut at `part_rows`; names are
      deterministic, so a restarted task overwrites rather than duplicates;
    - every object is read back and checked (size, SHA-256, row count), and the total against
      PostgreSQL, before the manifest is written; the manifest is the truth;
    - then, in one transaction, the archive task succeeds and the `log_cleanup` task is created.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        queue: TaskQueue,
        publish: PublishTasks,
        *,
        codecs: Mapping[ArchiveFormat, ArchiveCodec],
        default_format: ArchiveFormat = DEFAULT_FORMAT,
        max_receive_count: int = 5,
        part_rows: int = 200_000,
        settle: timedelta = timedelta(seconds=5),
        visibility_seconds: int = 120,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._uow_factory = uow_factory
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count, announce=publish.after_commit)
        self._store = store
        self._queue = queue
        self._publish = publish
        self._codecs = codecs
        self._default_format = default_format
        self._part_rows = part_rows
        self._settle = settle
        self._visibility = visibility_seconds
        self._clock = clock
        self._sleep = sleep

    async def execute(self, message: QueueMessage) -> bool:
        """Handle one message on the task template; True when it should be acknowledged (a failure
        leaves it for SQS to redeliver, or after the last attempt to move to the DLQ)."""
        return await self._life.run(message, frozenset({TaskType.ARCHIVE}), self._archive_then_cleanup, what="archive")

    async def _archive_then_cleanup(self, task: AsyncTask, message: QueueMessage) -> Outcome:
        manifest = await self._archive(task, message)
        cleanup = AsyncTask(
            task_id=new_id(),
            tenant_id=task.tenant_id,
            task_type=TaskType.LOG_CLEANUP,
            user_id=task.user_id,
            payload={
                "archive_task_id": str(task.task_id),
                "manifest_key": manifest_key(task.tenant_id, task.task_id),
                "before": rfc3339(manifest.before),
                "received_before": rfc3339(manifest.received_before),
                "rows": manifest.rows,
            },
        )
        # The archive's success and the cleanup task commit together (then the cleanup is announced).
        return Outcome(
            result={
                "rows_archived": manifest.rows,
                "objects": len(manifest.objects),
                "bytes": sum(o.bytes for o in manifest.objects),
                "raw_bytes": sum(o.raw_bytes for o in manifest.objects),
                "manifest_key": manifest_key(task.tenant_id, task.task_id),
                "cleanup_task_id": str(cleanup.task_id),
            },
            follow_up=(cleanup,),
        )

    async def _archive(self, task: AsyncTask, message: QueueMessage) -> Manifest:
        existing = await self._store.get(key=manifest_key(task.tenant_id, task.task_id))
        if existing is not None:
            # A restart after the manifest was written: the manifest is the truth; check it again.
            manifest = Manifest.from_json(existing)
            await self._verify(manifest)
            return manifest
        before = datetime.fromisoformat(task.payload["before"])
        if task.result.get("received_before"):
            received_before = datetime.fromisoformat(task.result["received_before"])
        else:
            received_before = self._range_end(task)
            await self._life.progress(task, {"received_before": rfc3339(received_before)})
        await self._settle_after(received_before, message)
        codec = self._codecs[await self._format(task)]
        objects: list[ArchivedObject] = []
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(task.tenant_id)
            part: _Part | None = None
            async for event in uow.reader.stream_archivable(
                tenant_id=task.tenant_id, before=before, received_before=received_before
            ):
                day = event.timestamp.astimezone(UTC).date()
                if part is not None and (part.day != day or part.rows >= self._part_rows):
                    objects.append(await self._upload(task, codec, part, message, objects))
                    part = None
                if part is None:
                    number = 1 + sum(1 for o in objects if o.day == day)
                    part = _Part(day=day, number=number, writer=codec.writer(tenant_id=task.tenant_id))
                part.add(event)
            if part is not None:
                objects.append(await self._upload(task, codec, part, message, objects))
            expected = await uow.reader.count_archivable(
                tenant_id=task.tenant_id, before=before, received_before=received_before
            )
        manifest = Manifest(
            task_id=task.task_id,
            tenant_id=task.tenant_id,
            before=before,
            received_before=received_before,
            objects=objects,
            created_at=self._clock(),
            archive_format=codec.archive_format,
        )
        if manifest.rows != expected:
            raise ArchiveMismatch(f"archived {manifest.rows} rows but PostgreSQL holds {expected} in the range")
        await self._verify(manifest)
        await self._store.put(
            key=manifest_key(task.tenant_id, task.task_id),
            chunks=_once(manifest.to_json()),
            content_type="application/json",
        )
        return manifest

    async def _format(self, task: AsyncTask) -> ArchiveFormat:
        """The tenant's format, else the default; kept in the task so a retry writes the same objects."""
        if chosen := task.result.get("format"):
            return ArchiveFormat(chosen)
        async with self._uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id=task.tenant_id)
        archive_format = (tenant.archive_format if tenant else None) or self._default_format
        await self._life.progress(task, {"format": archive_format.value})
        return archive_format

    def _range_end(self, task: AsyncTask) -> datetime:
        """Everything acknowledged before the request belongs to the range: the request's own time
        (set by RequestCleanup), else (a scheduled task) the moment the task was created."""
        if task.payload.get("received_before"):
            return datetime.fromisoformat(task.payload["received_before"])
        return task.created_at or self._clock()

    async def _settle_after(self, received_before: datetime, message: QueueMessage) -> None:
        # A transaction that stamped received_at just before `received_before` may still be
        # committing; waiting out the settle window after it (rather than moving the range's end back
        # by it, which left out what was acknowledged in the last seconds) lets every such row land.
        wait = (received_before + self._settle - self._clock()).total_seconds()
        if wait > 0:
            await self._queue.extend(queue=QUEUE, receipt=message.receipt, seconds=self._visibility + int(wait) + 1)
            await self._sleep(wait)

    async def _upload(
        self, task: AsyncTask, codec: ArchiveCodec, part: _Part, message: QueueMessage, done: list[ArchivedObject]
    ) -> ArchivedObject:
        data = part.finish()
        key = object_key(task.tenant_id, part.day, task.task_id, part.number, codec.archive_format)
        size = await self._store.put(key=key, chunks=_once(data), content_type=codec.content_type)
        assert part.min_ts is not None and part.max_ts is not None
        archived = ArchivedObject(
            key=key,
            day=part.day,
            rows=part.rows,
            bytes=size,
            raw_bytes=part.raw_bytes,
            sha256=hashlib.sha256(data).hexdigest(),
            min_timestamp=part.min_ts,
            max_timestamp=part.max_ts,
        )
        rows_so_far = sum(o.rows for o in done) + part.rows
        await self._life.progress(task, {"rows_archived": rows_so_far, "objects": len(done) + 1})
        await self._queue.extend(queue=QUEUE, receipt=message.receipt, seconds=self._visibility)
        return archived

    async def _verify(self, manifest: Manifest) -> None:
        codec = self._codecs[manifest.archive_format]
        for obj in manifest.objects:
            data = await self._store.get(key=obj.key)
            if data is None:
                raise ArchiveMismatch(f"archive object {obj.key} is missing")
            if len(data) != obj.bytes or hashlib.sha256(data).hexdigest() != obj.sha256:
                raise ArchiveMismatch(f"archive object {obj.key} does not match its checksum")
            rows = codec.count_rows(data)
            if rows != obj.rows:
                raise ArchiveMismatch(f"archive object {obj.key} holds {rows} rows, not {obj.rows}")
