"""Archive objects as Parquet: one column per field, dictionary-encoded where values repeat
(service, host, user, action, severity), delta-encoded timestamps, zstd pages.

Ids are stored as bytes: the UUID as 16 bytes, and a trace/span id that is canonical lowercase hex
(32/16 digits, as OpenTelemetry sends them) as 16/8 bytes — random hex is half its text size as
bytes and compresses no further. Any other trace/span id is kept verbatim in a text column, so
reading back gives exactly what was stored. The tenant id is the file's metadata, not a column.
"""

from __future__ import annotations

import io
import re
from datetime import UTC
from typing import Any
from uuid import UUID

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from src.domain.archive import ArchiveFormat, event_line_size
from src.domain.logs import LogEvent
from src.domain.ports.archive_codec import ArchiveCodec, ArchivePartWriter
from src.domain.severity import Severity

ZSTD_LEVEL = 9
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_TENANT_KEY = b"logplane.tenant_id"

SCHEMA = pa.schema(
    [
        ("id", pa.binary(16)),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("severity", pa.int16()),
        ("service", pa.string()),
        ("host", pa.string()),
        ("user_id", pa.string()),
        ("action", pa.string()),
        ("trace_id_bytes", pa.binary(16)),
        ("trace_id", pa.string()),
        ("span_id_bytes", pa.binary(8)),
        ("span_id", pa.string()),
        ("message", pa.string()),
        ("attributes", pa.string()),
        ("client_id", pa.string()),
    ]
)
_DICTIONARY = ["severity", "service", "host", "user_id", "action", "client_id"]
_DELTA = {"timestamp": "DELTA_BINARY_PACKED", "received_at": "DELTA_BINARY_PACKED"}


def _split_id(value: str | None, canonical: re.Pattern[str]) -> tuple[bytes | None, str | None]:
    if value is not None and canonical.fullmatch(value):
        return bytes.fromhex(value), None
    return None, value


class _ParquetWriter(ArchivePartWriter):
    def __init__(self, tenant_id: UUID) -> None:
        self._tenant_id = tenant_id
        self._columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}

    def add(self, event: LogEvent) -> int:
        c = self._columns
        c["id"].append(event.id.bytes)
        c["timestamp"].append(event.timestamp)
        c["received_at"].append(event.received_at)
        c["severity"].append(int(event.severity))
        c["service"].append(event.service)
        c["host"].append(event.host)
        c["user_id"].append(event.user_id)
        c["action"].append(event.action)
        trace_bytes, trace_text = _split_id(event.trace_id, _HEX32)
        c["trace_id_bytes"].append(trace_bytes)
        c["trace_id"].append(trace_text)
        span_bytes, span_text = _split_id(event.span_id, _HEX16)
        c["span_id_bytes"].append(span_bytes)
        c["span_id"].append(span_text)
        c["message"].append(event.message)
        attributes = orjson.dumps(event.attributes)
        c["attributes"].append(attributes.decode() if event.attributes else None)
        c["client_id"].append(event.client_id)
        # The NDJSON size it stands for, counted rather than built: building it was half this
        # writer's CPU time (docs/benchmarks.md, archives).
        return event_line_size(event, attributes)

    def finish(self) -> bytes:
        table = pa.table(self._columns, schema=SCHEMA.with_metadata({_TENANT_KEY: str(self._tenant_id).encode()}))
        self._columns = {}
        out = io.BytesIO()
        pq.write_table(
            table,
            out,
            compression="zstd",
            compression_level=ZSTD_LEVEL,
            use_dictionary=_DICTIONARY,
            column_encoding=_DELTA,
            # One row group per part (parts are cut at LOGPLANE_WORKER_ARCHIVE_PART_ROWS).
            row_group_size=max(1, table.num_rows),
            write_statistics=["timestamp", "received_at", "severity"],
        )
        return out.getvalue()


class ParquetArchiveCodec(ArchiveCodec):
    archive_format = ArchiveFormat.PARQUET
    content_type = "application/vnd.apache.parquet"

    def writer(self, *, tenant_id: UUID) -> ArchivePartWriter:
        return _ParquetWriter(tenant_id)

    def read(self, data: bytes, *, tenant_id: UUID) -> list[LogEvent]:
        table = pq.read_table(io.BytesIO(data))
        stored = (table.schema.metadata or {}).get(_TENANT_KEY)
        if stored is not None and stored.decode() != str(tenant_id):
            return []  # another tenant's object: nothing of it belongs to this tenant
        rows = table.to_pydict()
        events: list[LogEvent] = []
        for i in range(table.num_rows):
            trace_bytes, span_bytes = rows["trace_id_bytes"][i], rows["span_id_bytes"][i]
            attributes = rows["attributes"][i]
            events.append(
                LogEvent(
                    id=UUID(bytes=rows["id"][i]),
                    tenant_id=tenant_id,
                    timestamp=rows["timestamp"][i].astimezone(UTC),
                    received_at=rows["received_at"][i].astimezone(UTC),
                    severity=Severity(rows["severity"][i]),
                    service=rows["service"][i],
                    host=rows["host"][i],
                    user_id=rows["user_id"][i],
                    action=rows["action"][i],
                    trace_id=trace_bytes.hex() if trace_bytes is not None else rows["trace_id"][i],
                    span_id=span_bytes.hex() if span_bytes is not None else rows["span_id"][i],
                    message=rows["message"][i],
                    attributes=orjson.loads(attributes) if attributes else {},
                    client_id=rows["client_id"][i],
                )
            )
        return events

    def count_rows(self, data: bytes) -> int:
        return int(pq.ParquetFile(io.BytesIO(data)).metadata.num_rows)
