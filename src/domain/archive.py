"""Archives: what an archived event looks like on disk, where objects go, and the manifest.

Layout in the bucket (per tenant, per UTC day of the events, per task):
    tenant=<tenant_id>/date=<YYYY-MM-DD>/<task_id>-<part>.<format>   (.parquet, .ndjson.zst, .ndjson.gz)
    tenant=<tenant_id>/manifests/<task_id>.json
The manifest is the truth: an object not listed in a manifest is not part of any archive. It names
the format of its objects (manifests of schema version 1, before formats existed, are gzip NDJSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import orjson

from src.domain.logs import LogEvent
from src.domain.severity import Severity

SCHEMA_VERSION = 2


class ArchiveFormat(StrEnum):
    """How archive objects are encoded; the value is the objects' file extension.

    Parquet (columns, dictionary and delta encodings, zstd) is the default: it measured at least 10x on
    the benchmark's events against ~6.4x for gzip NDJSON (docs/benchmarks.md); gzip NDJSON stays
    for tools that need plain `zcat | jq`, zstd NDJSON in between.
    """

    PARQUET = "parquet"
    NDJSON_ZSTD = "ndjson.zst"
    NDJSON_GZIP = "ndjson.gz"


DEFAULT_FORMAT = ArchiveFormat.PARQUET


def object_key(
    tenant_id: UUID, day: date, task_id: UUID, part: int, archive_format: ArchiveFormat = ArchiveFormat.NDJSON_GZIP
) -> str:
    return f"tenant={tenant_id}/date={day.isoformat()}/{task_id}-{part:04d}.{archive_format.value}"


def manifest_key(tenant_id: UUID, task_id: UUID) -> str:
    return f"tenant={tenant_id}/manifests/{task_id}.json"


def manifest_prefix(tenant_id: UUID) -> str:
    return f"tenant={tenant_id}/manifests/"


# `{"id":…,"tenant_id":…,…}` without the values: keys, quotes, colons, commas, braces and the newline.
_LINE_FRAME = (
    len(
        orjson.dumps(
            dict.fromkeys(
                (
                    "id", "tenant_id", "timestamp", "received_at", "severity", "service", "host", "user_id",
                    "action", "trace_id", "span_id", "message", "attributes", "client_id",
                ),
                0,
            )
        )
    )
    - 14  # the fourteen placeholder zeros
    + 1  # the newline
)  # fmt: skip
_UUID_TEXT = 38  # "8-4-4-4-12" with its quotes
_SEVERITY_TEXT = {s: len(s.name) + 2 for s in Severity}


def _json_len(value: str | None) -> int:
    return 4 if value is None else len(orjson.dumps(value))


def _time_len(moment: datetime) -> int:
    # isoformat(): 19 characters, ".ffffff" when there are microseconds, the offset ("+00:00"), quotes.
    offset = moment.utcoffset()
    return (
        21
        + (7 if moment.microsecond else 0)
        + (6 if offset is not None else 0)
        + (3 if offset and offset.seconds % 60 else 0)
    )


def event_line_size(event: LogEvent, attributes_json: bytes | None = None) -> int:
    """`len(event_line(event))` without building the line: a columnar writer (Parquet) reports the
    NDJSON size of what it archived (the compression ratio) at a fraction of the cost. Pass the
    attributes' JSON when it was made anyway."""
    if attributes_json is None:
        attributes_json = orjson.dumps(event.attributes)
    return (
        _LINE_FRAME
        + 2 * _UUID_TEXT
        + _time_len(event.timestamp)
        + _time_len(event.received_at)
        + _SEVERITY_TEXT[event.severity]
        + _json_len(event.service)
        + _json_len(event.host)
        + _json_len(event.user_id)
        + _json_len(event.action)
        + _json_len(event.trace_id)
        + _json_len(event.span_id)
        + _json_len(event.message)
        + len(attributes_json)
        + _json_len(event.client_id)
    )


def event_line(event: LogEvent) -> bytes:
    return (
        orjson.dumps(
            {
                "id": str(event.id),
                "tenant_id": str(event.tenant_id),
                "timestamp": event.timestamp.isoformat(),
                "received_at": event.received_at.isoformat(),
                "severity": event.severity.name,
                "service": event.service,
                "host": event.host,
                "user_id": event.user_id,
                "action": event.action,
                "trace_id": event.trace_id,
                "span_id": event.span_id,
                "message": event.message,
                "attributes": event.attributes,
                "client_id": event.client_id,
            }
        )
        + b"\n"
    )


def event_from_line(line: bytes) -> LogEvent:
    data = orjson.loads(line)
    return LogEvent(
        id=UUID(data["id"]),
        tenant_id=UUID(data["tenant_id"]),
        timestamp=datetime.fromisoformat(data["timestamp"]),
        received_at=datetime.fromisoformat(data["received_at"]),
        severity=Severity[data["severity"]],
        service=data.get("service"),
        host=data.get("host"),
        user_id=data.get("user_id"),
        action=data.get("action"),
        trace_id=data.get("trace_id"),
        span_id=data.get("span_id"),
        message=data["message"],
        attributes=data.get("attributes") or {},
        client_id=data.get("client_id"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchivedObject:
    key: str
    day: date
    rows: int
    bytes: int
    raw_bytes: int
    sha256: str
    min_timestamp: datetime
    max_timestamp: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    task_id: UUID
    tenant_id: UUID
    before: datetime
    received_before: datetime
    objects: list[ArchivedObject] = field(default_factory=list)
    created_at: datetime | None = None
    schema_version: int = SCHEMA_VERSION
    archive_format: ArchiveFormat = ArchiveFormat.NDJSON_GZIP

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.objects)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "schema_version": self.schema_version,
                "format": self.archive_format.value,
                "task_id": str(self.task_id),
                "tenant_id": str(self.tenant_id),
                "before": self.before.isoformat(),
                "received_before": self.received_before.isoformat(),
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "rows": self.rows,
                "objects": [
                    {
                        "key": o.key,
                        "date": o.day.isoformat(),
                        "rows": o.rows,
                        "bytes": o.bytes,
                        "raw_bytes": o.raw_bytes,
                        "sha256": o.sha256,
                        "min_timestamp": o.min_timestamp.isoformat(),
                        "max_timestamp": o.max_timestamp.isoformat(),
                    }
                    for o in self.objects
                ],
            },
            option=orjson.OPT_INDENT_2,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(
            task_id=UUID(data["task_id"]),
            tenant_id=UUID(data["tenant_id"]),
            before=datetime.fromisoformat(data["before"]),
            received_before=datetime.fromisoformat(data["received_before"]),
            created_at=datetime.fromisoformat(data["created_at"]) if data.get("created_at") else None,
            schema_version=int(data["schema_version"]),
            archive_format=ArchiveFormat(data.get("format", ArchiveFormat.NDJSON_GZIP.value)),
            objects=[
                ArchivedObject(
                    key=o["key"],
                    day=date.fromisoformat(o["date"]),
                    rows=int(o["rows"]),
                    bytes=int(o["bytes"]),
                    raw_bytes=int(o["raw_bytes"]),
                    sha256=o["sha256"],
                    min_timestamp=datetime.fromisoformat(o["min_timestamp"]),
                    max_timestamp=datetime.fromisoformat(o["max_timestamp"]),
                )
                for o in data["objects"]
            ],
        )
