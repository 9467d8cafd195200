"""Stand-ins for services a deployment has not configured: they say so, loudly, when used."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.errors import DependencyUnavailable
from src.domain.logs import LogEvent
from src.domain.ports.archive_store import ArchiveStore, StoredObject
from src.domain.ports.search_index import IndexReport, SearchIndex, SearchPage
from src.domain.ports.secret_cipher import SecretCipher
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.query import LogQuery, LogStats, StatsQuery
from src.domain.querylang.table import PipelineQuery, PipelineRows

logger = logging.getLogger(__name__)


def _off(what: str, setting: str) -> DependencyUnavailable:
    return DependencyUnavailable(f"{what} is not configured (set {setting})", code=f"{what.split()[0]}_not_configured")


class UnconfiguredSearchIndex(SearchIndex):
    """No OPENSEARCH_URL: filter queries fall back to PostgreSQL, full-text ones get 503."""

    async def index(self, events: Sequence[LogEvent]) -> IndexReport:
        raise _off("search", "OPENSEARCH_URL")

    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage:
        raise _off("search", "OPENSEARCH_URL")

    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats:
        raise _off("search", "OPENSEARCH_URL")

    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        raise _off("search", "OPENSEARCH_URL")

    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int:
        raise _off("search", "OPENSEARCH_URL")

    async def delete_range(self, *, tenant_id: UUID, start: datetime | None, end: datetime | None) -> int:
        raise _off("search", "OPENSEARCH_URL")

    async def delete_archived(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        raise _off("search", "OPENSEARCH_URL")

    async def refresh(self) -> None:
        raise _off("search", "OPENSEARCH_URL")

    async def ping(self) -> None:
        raise _off("search", "OPENSEARCH_URL")


class UnconfiguredTaskQueue(TaskQueue):
    """No queue endpoint: tasks stay `pending` in PostgreSQL (nothing is lost) until a relay with a
    queue publishes them; workers cannot run."""

    async def publish(self, *, queue: str, bodies: Sequence[dict[str, Any]]) -> None:
        logger.debug("no task queue configured; %d task(s) stay pending", len(bodies))

    async def receive(self, *, queue: str, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]:
        raise _off("queue", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def ack(self, *, queue: str, receipts: Sequence[str]) -> None:
        raise _off("queue", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def extend(self, *, queue: str, receipt: str, seconds: int) -> None:
        raise _off("queue", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")


class UnconfiguredArchiveStore(ArchiveStore):
    """No S3 endpoint: archival and restore cannot run; the API says so with 503."""

    async def put(self, *, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def get(self, *, key: str) -> bytes | None:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def read_chunks(self, *, key: str, chunk_bytes: int = 1024 * 1024) -> AsyncIterator[bytes]:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")
        yield b""  # pragma: no cover - makes this an async generator like the real one

    async def head(self, *, key: str) -> StoredObject | None:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def list(self, *, prefix: str) -> list[StoredObject]:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def presign(self, *, key: str, expires_seconds: int) -> str:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")

    async def ping(self) -> None:
        raise _off("archive store", "AWS_ENDPOINT_URL or LOGPLANE_SQS_ENABLED=true")


class UnconfiguredSecretCipher(SecretCipher):
    """No LOGPLANE_ALERTS_SECRET_KEY: a channel secret can be neither stored nor read."""

    def encrypt(self, plaintext: str) -> bytes:
        raise _off("alert secret encryption", "LOGPLANE_ALERTS_SECRET_KEY")

    def decrypt(self, ciphertext: bytes) -> str:
        raise _off("alert secret encryption", "LOGPLANE_ALERTS_SECRET_KEY")
