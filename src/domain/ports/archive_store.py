"""Port: the object store that keeps archived logs (S3)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredObject:
    key: str
    size: int


class ArchiveStore(Protocol):
    @abstractmethod
    async def put(self, *, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        """Write an object from chunks (multipart when large); return its size in bytes."""

    @abstractmethod
    async def get(self, *, key: str) -> bytes | None:
        """The whole object, or None when there is none."""

    @abstractmethod
    def read_chunks(self, *, key: str, chunk_bytes: int = 1024 * 1024) -> AsyncIterator[bytes]:
        """The object in chunks (raises NotFound when there is none): large objects, flat memory."""

    @abstractmethod
    async def head(self, *, key: str) -> StoredObject | None: ...

    @abstractmethod
    async def list(self, *, prefix: str) -> list[StoredObject]: ...

    @abstractmethod
    async def presign(self, *, key: str, expires_seconds: int) -> str: ...

    @abstractmethod
    async def ping(self) -> None: ...
