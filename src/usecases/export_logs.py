"""Use cases: export a tenant's logs — streamed to the caller, or written to S3 by a worker."""

from __future__ import annotations

import logging
import os
import tempfile
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput, NotFound
from src.domain.export_format import ExportFormat
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.parquet_writer import ParquetWriterFactory
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.query import LogQuery
from src.domain.relative_time import pinned_bounds
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskStatus, TaskType
from src.usecases.pattern_members import named_pattern_ids, with_pattern_members
from src.usecases.publish_tasks import PublishTasks
from src.usecases.task_lifecycle import TaskLifecycle

logger = logging.getLogger(__name__)

QUEUE = QUEUE_FOR[TaskType.EXPORT]


async def _maybe_gzip(chunks: AsyncIterator[bytes], gzip: bool) -> AsyncIterator[bytes]:
    if not gzip:
        async for chunk in chunks:
            yield chunk
        return
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    async for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


class StreamExport:
    """Rules: `read` scope; the same filters as search; NDJSON or CSV (Parquet is an async export);
    rows come from PostgreSQL through a server-side cursor, so memory stays flat at any size."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def check(self, *, principal: Principal, query: LogQuery, fmt: ExportFormat) -> None:
        principal.require(Scope.READ)
        named_pattern_ids(query)
        if fmt is ExportFormat.PARQUET:
            raise InvalidInput(
                "Parquet is not streamed; request it with POST /api/v1/exports", code="unsupported_format"
            )

    async def execute(
        self, *, principal: Principal, query: LogQuery, fmt: ExportFormat, gzip: bool
    ) -> AsyncIterator[bytes]:
        self.check(principal=principal, query=query, fmt=fmt)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            query = await with_pattern_members(uow, principal.tenant_id, query)
            lines = uow.reader.export_lines(tenant_id=principal.tenant_id, query=query, csv=fmt is ExportFormat.CSV)
            async for chunk in _maybe_gzip(lines, gzip):
                yield chunk


def export_key(tenant_id: UUID, task_id: UUID, fmt: ExportFormat, gzip: bool) -> str:
    suffix = ".gz" if gzip and fmt is not ExportFormat.PARQUET else ""
    return f"tenant={tenant_id}/exports/{task_id}.{fmt.value}{suffix}"


class RequestExport:
    """Rules: `read` scope; the filters are stored in the task, relative times made absolute at the
    request; the worker does the rest."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        publish: PublishTasks,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._publish = publish
        self._clock = clock

    async def execute(
        self, *, principal: Principal, filters: dict[str, Any], fmt: ExportFormat, gzip: bool
    ) -> AsyncTask:
        principal.require(Scope.READ)
        task = AsyncTask(
            task_id=new_id(),
            tenant_id=principal.tenant_id,
            task_type=TaskType.EXPORT,
            user_id=principal.subject,
            payload={"filters": pinned_bounds(filters, now=self._clock()), "format": fmt.value, "gzip": gzip},
        )
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            await uow.tasks.add_many(tasks=[task])
            await uow.commit()
        (task,) = await self._publish.after_commit([task])
        return task


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportStatus:
    task: AsyncTask
    url: str | None


class GetExport:
    """Rules: another tenant's export and one older than `ttl` are both simply not found (404)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        *,
        ttl: timedelta = timedelta(days=7),
        url_ttl_seconds: int = 900,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._ttl = ttl
        self._url_ttl = url_ttl_seconds
        self._clock = clock

    async def execute(self, *, principal: Principal, task_id: UUID) -> ExportStatus:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            task = await uow.tasks.get(tenant_id=principal.tenant_id, task_id=task_id)
        if task is None or task.task_type is not TaskType.EXPORT:
            raise NotFound("no such export", details={"task_id": str(task_id)})
        if task.created_at is not None and self._clock() - task.created_at > self._ttl:
            raise NotFound("this export has expired", code="export_expired", details={"task_id": str(task_id)})
        url = None
        if task.status is TaskStatus.SUCCEEDED:
            url = await self._store.presign(key=task.result["key"], expires_seconds=self._url_ttl)
        return ExportStatus(task=task, url=url)


class RunExport:
    """The export worker's step: stream from PostgreSQL into one S3 object, with progress."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        queue: TaskQueue,
        parquet: ParquetWriterFactory,
        *,
        query_from_filters: Callable[[dict[str, Any]], LogQuery],
        max_receive_count: int = 5,
        visibility_seconds: int = 120,
        progress_every: int = 50_000,
    ) -> None:
        self._uow_factory = uow_factory
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._store = store
        self._queue = queue
        self._parquet = parquet
        self._query_from_filters = query_from_filters
        self._visibility = visibility_seconds
        self._progress_every = progress_every

    async def execute(self, message: QueueMessage) -> bool:
        return await self._life.run(message, frozenset({TaskType.EXPORT}), self._export, what="export")

    async def _export(self, task: AsyncTask, message: QueueMessage) -> dict[str, Any]:
        fmt = ExportFormat(task.payload["format"])
        gzip = bool(task.payload.get("gzip"))
        query = self._query_from_filters(task.payload.get("filters") or {})
        key = export_key(task.tenant_id, task.task_id, fmt, gzip)
        rows = 0

        async def events() -> AsyncIterator[LogEvent]:
            nonlocal rows
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(task.tenant_id)
                widened = await with_pattern_members(uow, task.tenant_id, query)
                async for event in uow.reader.stream_query(tenant_id=task.tenant_id, query=widened):
                    rows += 1
                    if rows % self._progress_every == 0:
                        await self._progress(task, message, rows)
                    yield event

        async def lines() -> AsyncIterator[bytes]:
            nonlocal rows
            newlines = 0
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(task.tenant_id)
                widened = await with_pattern_members(uow, task.tenant_id, query)
                async for chunk in uow.reader.export_lines(
                    tenant_id=task.tenant_id, query=widened, csv=fmt is ExportFormat.CSV
                ):
                    newlines += chunk.count(b"\n")
                    if newlines // self._progress_every > rows // self._progress_every:
                        await self._progress(task, message, newlines)
                    rows = newlines
                    yield chunk
            if fmt is ExportFormat.CSV:
                rows = max(0, newlines - 1)  # the header line

        if fmt is ExportFormat.PARQUET:
            size = await self._write_parquet(key, events())
        else:
            size = await self._store.put(
                key=key,
                chunks=_maybe_gzip(lines(), gzip),
                content_type="text/csv" if fmt is ExportFormat.CSV else "application/x-ndjson",
            )
        return {"rows": rows, "bytes": size, "key": key}

    async def _progress(self, task: AsyncTask, message: QueueMessage, rows: int) -> None:
        await self._life.progress(task, {"rows": rows})
        await self._queue.extend(queue=QUEUE, receipt=message.receipt, seconds=self._visibility)

    async def _write_parquet(self, key: str, events: AsyncIterator[LogEvent]) -> int:
        fd, path = tempfile.mkstemp(suffix=".parquet")
        os.close(fd)
        try:
            with self._parquet(path) as writer:
                batch: list[LogEvent] = []
                async for event in events:
                    batch.append(event)
                    if len(batch) >= 50_000:
                        writer.write(batch)
                        batch = []
                writer.write(batch)

            async def chunks() -> AsyncIterator[bytes]:
                with open(path, "rb") as f:  # noqa: ASYNC230 - a local temp file, read in bounded chunks
                    while chunk := f.read(8 * 1024 * 1024):
                        yield chunk

            return await self._store.put(key=key, chunks=chunks(), content_type="application/vnd.apache.parquet")
        finally:
            os.unlink(path)
