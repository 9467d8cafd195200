"""Use cases: upload a log file for ingestion, and the worker step that parses it in batches."""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import AsyncIterator
from dataclasses import replace

from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput
from src.domain.ids import new_id
from src.domain.logs import StoredRef
from src.domain.parsing.registry import ParserRegistry
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tasks import QUEUE_FOR, AsyncTask, TaskStatus, TaskType
from src.usecases.ingest_logs import IngestLogs, IngestRequest
from src.usecases.ingest_text import parse_lines
from src.usecases.publish_tasks import PublishTasks
from src.usecases.task_lifecycle import TaskLifecycle
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


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Decoded lines of a plain or gzip file; undecodable bytes become U+FFFD, never an error."""
    inflater: zlib._Decompress | None = None
    first = True
    rest = b""
    async for chunk in chunks:
        if first:
            first = False
            if chunk[:2] == b"\x1f\x8b":
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = rest + (inflater.decompress(chunk) if inflater else chunk)
        *complete, rest = data.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r").decode("utf-8", errors="replace")
    if inflater is not None:
        rest += inflater.flush()
    if rest:
        yield rest.rstrip(b"\r").decode("utf-8", errors="replace")


class IngestFile:
    """The ingest worker's step. Rules: parsed in bounded batches (never the whole file in memory);
    each event's client id is `file:<task>:<line>`, so a retry after a crash stores nothing twice;
    progress and `parse_error_count` are kept in the task."""

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
        visibility_seconds: int = 120,
    ) -> None:
        self._life = TaskLifecycle(uow_factory, max_receive_count=max_receive_count)
        self._store = store
        self._queue = queue
        self._parsers = parsers
        self._ingest = ingest
        self._batch_lines = batch_lines
        self._visibility = visibility_seconds

    async def execute(self, message: QueueMessage) -> bool:
        started = await self._life.start(message, frozenset({TaskType.INGEST_FILE}))
        if started.task is None:
            return started.ack
        task = started.task
        payload = task.payload
        principal = Principal(
            tenant_id=task.tenant_id, subject=task.user_id or "upload", scopes=frozenset({Scope.INGEST}), via="task"
        )
        counts = {"lines": 0, "events": 0, "stored": 0, "rejected": 0, "parse_error_count": 0}
        extra = {"environment": payload["environment"]} if payload.get("environment") else None
        try:
            registry = await self._parsers.registry(task.tenant_id)
            pending: list[str] = []
            async for line in _lines(self._store.read_chunks(key=payload["key"])):
                pending.append(line)
                if len(pending) >= self._batch_lines and not line[:1].isspace():
                    # Cut before this line (it starts an event): a stack trace is never split.
                    batch, pending = pending[:-1], pending[-1:]
                    await self._ingest_batch(task, principal, registry, batch, counts, payload, extra, message)
            if pending:
                await self._ingest_batch(task, principal, registry, pending, counts, payload, extra, message)
        except Exception as e:
            await self._life.fail(task, message, f"file ingest failed after line {counts['lines']}: {e}", cause=e)
            return False
        await self._life.finish(task, TaskStatus.SUCCEEDED, result=counts)
        return True

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
