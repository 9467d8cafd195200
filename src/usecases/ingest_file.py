"""Use cases: upload a log file for ingestion, and the worker step that parses it in batches."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace

from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput, PayloadTooLarge
from src.domain.ids import new_id
from src.domain.logs import StoredRef
from src.domain.parsing.registry import ParserRegistry
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskStatus, TaskType
from src.domain.text import require_storable
from src.usecases.file_lines import FileLines
from src.usecases.ingest_logs import IngestLogs, IngestRequest
from src.usecases.ingest_text import parse_lines
from src.usecases.publish_tasks import PublishTasks
from src.usecases.task_lifecycle import Outcome, TaskLifecycle
from src.usecases.tenant_parsers import TenantParsers

logger = logging.getLogger(__name__)

QUEUE = QUEUE_FOR[TaskType.INGEST_FILE]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def upload_key(principal: Principal, task_id: object, filename: str) -> str:
    safe = _UNSAFE.sub("_", filename)[-120:] or "upload.log"
    return f"tenant={principal.tenant_id}/uploads/{task_id}/{safe}"


class RequestFileIngest:
    """Rules: `ingest` scope; the file goes to object storage first, then one `ingest_file` task."""

    def __init__(self, uow_factory: UnitOfWorkFactory, store: ArchiveStore, publish: PublishTasks) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._publish = publish

    async def execute(
        self,
        *,
        principal: Principal,
        filename: str,
        chunks: AsyncIterator[bytes],
        service: str | None,
        parser: str | None,
        environment: str | None,
    ) -> AsyncTask:
        principal.require(Scope.INGEST)
        for name, value in (("service", service), ("parser", parser), ("environment", environment)):
            require_storable(value, field=name)  # stored in the task, and later on every event
        task_id = new_id()
        key = upload_key(principal, task_id, filename)
        size = await self._store.put(key=key, chunks=chunks, content_type="application/octet-stream")
        if size == 0:
            raise InvalidInput("the uploaded file is empty", code="empty_file")
        task = AsyncTask(
            task_id=task_id,
            tenant_id=principal.tenant_id,
            task_type=TaskType.INGEST_FILE,
            user_id=principal.subject,
            payload={
                "key": key,
                "filename": filename,
                "bytes": size,
                "service": service,
                "parser": parser,
                "environment": environment,
            },
        )
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            await uow.tasks.add_many(tasks=[task])
            await uow.commit()
        (task,) = await self._publish.after_commit([task])
        return task


class IngestFile:
    """The ingest worker's step. Rules: parsed in bounded batches (never the whole file in memory);
    each event's client id is `file:<task>:<line>`, so a retry after a crash stores nothing twice;
    progress and `parse_error_count` are kept in the task.

    Bounds: at most `max_decompressed_bytes` of text per file — past it the task fails at once
    (no retry) with `decompressed_too_large`, keeping the lines stored before the cap; a line
    longer than `max_line_bytes` is truncated to it (at a character boundary), its rest skipped,
    and counted in the result's `truncated_lines`."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        store: ArchiveStore,
        queue: TaskQueue,
        parsers: TenantParsers,
        ingest: IngestLogs,
        *,
        max_receive_count: int = 5,
        batch_lines: int = 5000,
        batch_bytes: int = 8 * 1024 * 1024,
        visibility_seconds: int = 120,
        max_decompressed_bytes: int = 10 * 1024**3,
        max_line_bytes: int = 64 * 1024,
    ) -> None:
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._store = store
        self._queue = queue
        self._parsers = parsers
        self._ingest = ingest
        self._batch_lines = batch_lines
        self._batch_bytes = batch_bytes
        self._max_bytes = max_decompressed_bytes
        self._max_line_bytes = max_line_bytes
        self._visibility = visibility_seconds

    async def execute(self, message: QueueMessage) -> bool:
        """One upload on the task template (claim → read and ingest → record); True to acknowledge."""
        counts = {"lines": 0, "events": 0, "stored": 0, "rejected": 0, "parse_error_count": 0, "truncated_lines": 0}

        async def work(task: AsyncTask, message: QueueMessage) -> Outcome:
            return await self._ingest_file(task, message, counts)

        return await self._life.run(
            message,
            frozenset({TaskType.INGEST_FILE}),
            work,
            what=lambda: f"file ingest (after line {counts['lines']})",
        )

    async def _ingest_file(self, task: AsyncTask, message: QueueMessage, counts: dict[str, int]) -> Outcome:
        payload = task.payload
        principal = Principal(
            tenant_id=task.tenant_id, subject=task.user_id or "upload", scopes=frozenset({Scope.INGEST}), via="task"
        )
        extra = {"environment": payload["environment"]} if payload.get("environment") else None
        lines = FileLines(max_bytes=self._max_bytes, max_line_bytes=self._max_line_bytes)
        pending: list[str] = []
        registry = await self._parsers.registry(task.tenant_id)

        async def flush(batch: list[str]) -> None:
            counts["truncated_lines"] = lines.truncated
            await self._ingest_batch(task, principal, registry, batch, counts, payload, extra, message)

        pending_bytes = 0
        extended = time.monotonic()

        async def heartbeat() -> None:
            # Reading may go on long between batches (a huge line is skipped without one):
            # keep the message invisible meanwhile, or it would be delivered a second time.
            nonlocal extended
            if time.monotonic() - extended > self._visibility / 3:
                extended = time.monotonic()
                await self._queue.extend(queue=QUEUE, receipt=message.receipt, seconds=self._visibility)

        try:
            async for line in lines.read(self._store.read_chunks(key=payload["key"]), heartbeat=heartbeat):
                pending.append(line)
                pending_bytes += len(line)
                full = len(pending) >= self._batch_lines or pending_bytes >= self._batch_bytes
                # Cut before a line that starts an event, so a stack trace is never split;
                # past twice the batch, cut anyway (a file of indented lines must not pile up).
                overfull = len(pending) >= 2 * self._batch_lines or pending_bytes >= 2 * self._batch_bytes
                if (full and not line[:1].isspace()) or overfull:
                    batch, pending = pending[:-1], pending[-1:]
                    pending_bytes = len(line)
                    await flush(batch)
        except PayloadTooLarge as e:
            if e.code != "decompressed_too_large":
                raise
            # What was read before the cap is stored (its lines are complete; the line the cap
            # fell in is not); a retry would only inflate the same bytes again, so none is made.
            if pending:
                await flush(pending)
            error = f"{e.code}: {e.message}; the {counts['lines']} lines before it were ingested"
            return Outcome(result=dict(counts), status=TaskStatus.FAILED, error=error)
        if pending:
            await flush(pending)
        counts["truncated_lines"] = lines.truncated
        return Outcome(result=dict(counts))

    async def _ingest_batch(
        self,
        task: AsyncTask,
        principal: Principal,
        registry: ParserRegistry,
        batch: list[str],
        counts: dict[str, int],
        payload: dict[str, object],
        extra: dict[str, str] | None,
        message: QueueMessage,
    ) -> None:
        parser = payload.get("parser")
        service = payload.get("service")
        parsed = parse_lines(
            registry,
            batch,
            parser=parser if isinstance(parser, str) else None,
            service=service if isinstance(service, str) else None,
            extra=extra,
            first_line=counts["lines"] + 1,
        )
        drafts = [replace(p.draft, client_id=f"file:{task.task_id}:{p.line}") for p in parsed]
        result = await self._ingest.execute(IngestRequest(principal=principal, items=drafts, route="upload"))
        counts["lines"] += len(batch)
        counts["events"] += len(parsed)
        counts["stored"] += sum(1 for o in result.outcomes if isinstance(o, StoredRef))
        counts["rejected"] += sum(1 for o in result.outcomes if not isinstance(o, StoredRef))
        # Lines no parser understood (kept as raw events, never dropped).
        counts["parse_error_count"] += sum(
            1 for p in parsed if p.draft.attributes.get("parse_error") or p.draft.attributes.get("parser") == "raw"
        )
        await self._life.progress(task, dict(counts))
        await self._queue.extend(queue=QUEUE, receipt=message.receipt, seconds=self._visibility)
