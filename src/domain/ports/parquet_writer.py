"""Port: write events as a Parquet file in row groups (pyarrow behind it)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from src.domain.logs import LogEvent


class ParquetWriter(Protocol):
    @abstractmethod
    def write(self, events: Sequence[LogEvent]) -> None: ...

    @abstractmethod
    def __enter__(self) -> Self: ...

    @abstractmethod
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class ParquetWriterFactory(Protocol):
    @abstractmethod
    def __call__(self, path: str) -> ParquetWriter: ...
