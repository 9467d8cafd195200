"""Port: how archive objects are encoded (gzip/zstd NDJSON, Parquet) and read back."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol
from uuid import UUID

from src.domain.archive import ArchiveFormat
from src.domain.logs import LogEvent


class ArchivePartWriter(Protocol):
    """One archive object being built: events in timestamp order, then the finished bytes."""

    @abstractmethod
    def add(self, event: LogEvent) -> int:
        """Add one event; answer its size as an NDJSON line (the manifest's uncompressed measure)."""

    @abstractmethod
    def finish(self) -> bytes:
        """The encoded object; the writer is spent afterwards."""


class ArchiveCodec(Protocol):
    archive_format: ArchiveFormat
    content_type: str

    @abstractmethod
    def writer(self, *, tenant_id: UUID) -> ArchivePartWriter: ...

    @abstractmethod
    def read(self, data: bytes, *, tenant_id: UUID) -> list[LogEvent]:
        """Every event of an object, as written (tenant_id is the manifest's: Parquet does not repeat it per row)."""

    @abstractmethod
    def count_rows(self, data: bytes) -> int:
        """Rows in an object, cheaply where the format allows (Parquet's footer)."""
