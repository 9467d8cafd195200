"""The bounded queue between the sockets and ingest, and the consumers that empty it.

Backpressure lives here: a TCP or TLS connection `put`s each message and waits while the queue is
full, so it stops reading its socket, the kernel buffers fill and the sender slows down (TCP flow
control; rsyslog and syslog-ng queue on their side). UDP cannot be slowed: `offer` drops and the
drop is counted. Consumers take up to `batch_messages` at a time; several run at once so that group
commit can gather their batches into one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from src.domain.ports.syslog_metrics import SyslogMetrics
from src.usecases.ingest_syslog import SyslogMessage

Ingest = Callable[[Sequence[SyslogMessage]], Awaitable[object]]

logger = logging.getLogger(__name__)


class IngestPump:
    def __init__(
        self,
        ingest: Ingest,
        metrics: SyslogMetrics,
        *,
        queue_size: int,
        batch_messages: int,
        consumers: int,
        max_retry_seconds: float = 5.0,
    ) -> None:
        self._ingest = ingest
        self._metrics = metrics
        self._queue: asyncio.Queue[SyslogMessage] = asyncio.Queue(maxsize=queue_size)
        self._batch = batch_messages
        self._consumer_count = consumers
        self._max_retry = max_retry_seconds
        self._consumers: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self) -> None:
        self._consumers = [
            asyncio.create_task(self._consume(), name=f"syslog-ingest-{i}") for i in range(self._consumer_count)
        ]

    async def put(self, message: SyslogMessage) -> None:
        """Queue a message, waiting while the queue is full (stream transports)."""
        await self._queue.put(message)

    def offer(self, message: SyslogMessage) -> bool:
        """Queue a message unless the queue is full (datagrams); False when it was dropped."""
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    async def stop(self) -> None:
        """Ingest what was queued, then stop the consumers."""
        self._stopping = True
        await self._queue.join()
        for task in self._consumers:
            task.cancel()
        for task in self._consumers:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _consume(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._metrics.queued(depth=self._queue.qsize())
            try:
                await self._ingest_with_retry(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _ingest_with_retry(self, batch: list[SyslogMessage]) -> None:
        # While the database is away the batch is held and retried: the queue fills, TCP senders
        # are paused (and keep their messages), UDP overflow is counted. Nothing is half stored:
        # a failed group commit stored none of the batch.
        delay = 0.1
        while True:
            try:
                await self._ingest(batch)
                return
            except Exception as e:
                if self._stopping:
                    logger.error("syslog: %d message(s) lost at shutdown: %s", len(batch), type(e).__name__)
                    return
                logger.warning("syslog: ingest failed (%s); retrying in %.1f s", type(e).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry)
