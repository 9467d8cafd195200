"""Parquet exports with pyarrow: one row group per batch, the public event shape as columns."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from src.domain.logs import LogEvent
from src.domain.ports.parquet_writer import ParquetWriter, ParquetWriterFactory

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("severity", pa.string()),
        ("service", pa.string()),
        ("host", pa.string()),
        ("user_id", pa.string()),
        ("action", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("message", pa.string()),
        ("attributes", pa.string()),  # JSON text: attribute shapes differ from event to event
    ]
)


class ArrowParquetWriter(ParquetWriter):
    def __init__(self, path: str) -> None:
        self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd")

    def write(self, events: Sequence[LogEvent]) -> None:
        if not events:
            return
        columns = {
            "id": [str(e.id) for e in events],
            "timestamp": [e.timestamp for e in events],
            "received_at": [e.received_at for e in events],
            "severity": [e.severity.name for e in events],
            "service": [e.service for e in events],
            "host": [e.host for e in events],
            "user_id": [e.user_id for e in events],
            "action": [e.action for e in events],
            "trace_id": [e.trace_id for e in events],
            "span_id": [e.span_id for e in events],
            "message": [e.message for e in events],
            "attributes": [orjson.dumps(e.attributes).decode() for e in events],
        }
        self._writer.write_table(pa.table(columns, schema=SCHEMA))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._writer.close()


class ArrowParquetWriterFactory(ParquetWriterFactory):
    def __call__(self, path: str) -> ArrowParquetWriter:
        return ArrowParquetWriter(path)
