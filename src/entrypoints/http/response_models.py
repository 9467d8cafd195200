"""Response models of the HTTP API: the OpenAPI document's contract for every 2xx and error body.

Routes build their JSON with orjson (fast, and exact for UUIDs and datetimes) and declare these
models as `response_model`; FastAPI does not re-validate a Response a route returns itself, so the
models cost nothing per request. `tests/integration/api/test_openapi.py` checks real answers
against them, so the document cannot drift from the code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from src.entrypoints.http.schemas import TenantOut


class _Out(BaseModel):
    # Answers may gain fields; a client generated from the document must not break on them.
    model_config = ConfigDict(extra="allow")


class ErrorDetail(_Out):
    code: str = Field(description="Stable, machine-readable reason, e.g. `invalid_field`")
    message: str = Field(description="A sentence a person can act on")
    details: Any = Field(default=None, description="What the error is about (field, limits …), or null")


class ErrorBody(_Out):
    """Every error of the native API."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "error": {"code": "invalid_field", "message": "severity: unknown severity 'loud'", "details": {}}
            }
        },
    )
    error: ErrorDetail


class StoredOut(_Out):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {"id": "019a7c1e-6f1d-7c4a-9d52-3a1f5be0c001", "timestamp": "2026-12-01T10:00:00Z"}
        },
    )
    id: UUID
    timestamp: datetime


class StoredItemOut(StoredOut):
    index: int = Field(description="Position of the event in the batch")


class ItemErrorOut(_Out):
    index: int
    code: str
    message: str
    line: int | None = Field(default=None, description="Line number, from 1 (raw-text ingest only)")


class BatchOut(_Out):
    """201 when every event was stored, 207 when some were refused (each named in `errors`)."""

    accepted: int
    rejected: int
    errors: list[ItemErrorOut]
    items: list[StoredItemOut]


class LogEventOut(_Out):
    id: UUID
    tenant_id: UUID | None = None
    timestamp: datetime
    received_at: datetime | None = None
    severity: str = Field(description="TRACE, DEBUG, INFO, WARN, ERROR or FATAL")
    message: str
    service: str | None = None
    host: str | None = None
    user_id: str | None = None
    action: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    pattern_id: str | None = Field(
        default=None, description="The mined pattern (GET /api/v1/patterns/{id}); null until mined"
    )


class SearchOut(_Out):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "total": 1,
                "items": [
                    {
                        "id": "019a7c1e-6f1d-7c4a-9d52-3a1f5be0c001",
                        "timestamp": "2026-12-01T10:00:00Z",
                        "severity": "ERROR",
                        "message": "payment failed",
                        "service": "billing",
                        "attributes": {"order": 42},
                    }
                ],
                "next_cursor": "eyJ0cyI6IjIwMjYtMTItMDFUMTA6MDA6MDBaIiwiaWQiOiIuLi4ifQ",
                "page": 1,
                "page_size": 50,
            }
        },
    )
    total: int
    items: list[LogEventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")
    page: int | None = Field(default=None, description="Absent when paging by cursor")
    page_size: int | None = None


class ServiceCountOut(_Out):
    service: str | None
    count: int


class BucketOut(_Out):
    timestamp: datetime
    count: int


class StatsOut(_Out):
    total: int
    by_severity: dict[str, int]
    top_services: list[ServiceCountOut]
    histogram: list[BucketOut]
    from_: datetime = Field(alias="from")
    to: datetime
    interval_seconds: int


class TaskRefOut(_Out):
    task_id: UUID
    note: str | None = Field(
        default=None, description="Set when the task is saved but waits for a dependency (e.g. the task queue)"
    )


class ReindexOut(_Out):
    task_id: UUID | None = Field(description="Set when one task was made")
    tasks: list[dict[str, UUID]]


class TaskOut(_Out):
    task_id: UUID
    task_type: str
    status: str = Field(description="pending, running, succeeded or failed")
    user_id: str | None = None
    payload: dict[str, Any]
    result: dict[str, Any] | None = None
    error_msg: str | None = None
    attempts: int
    created_at: datetime
    updated_at: datetime | None = None


class TaskListOut(_Out):
    items: list[TaskOut]


class ArchiveOut(_Out):
    key: str
    task_id: UUID | None = None
    date: str | None = None
    rows: int
    bytes: int
    sha256: str | None = None
    min_timestamp: datetime | None = None
    max_timestamp: datetime | None = None
    url: str | None = Field(description="Presigned download URL")


class ArchiveListOut(_Out):
    items: list[ArchiveOut]


class ExportStatusOut(_Out):
    task_id: UUID
    status: str
    format: str | None = None
    rows: int | None = None
    bytes: int | None = None
    error_msg: str | None = None
    created_at: datetime
    url: str | None = Field(default=None, description="Presigned download URL once the export succeeded")


class TokenOut(_Out):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds")
    scope: str = Field(description="Space-separated scopes")


class KeyCreatedOut(_Out):
    id: UUID
    name: str | None = None
    api_key: str = Field(description="The secret: shown once, store it now")
    scopes: list[str]


class KeyOut(_Out):
    id: UUID
    name: str
    scopes: list[str]
    created_at: datetime | None = None
    revoked_at: datetime | None = None


class KeyListOut(_Out):
    items: list[KeyOut]


class TenantCreatedOut(TenantOut):
    model_config = ConfigDict(extra="allow")

    tenant_id: UUID
    api_key: str = Field(description="The tenant's first admin API key: shown once")
    api_key_id: UUID


class TenantListOut(_Out):
    items: list[TenantOut]


class ParsedEventOut(_Out):
    line: int = Field(description="Line number, from 1 (a joined multi-line event: its first line)")
    parser: str | None
    event: dict[str, Any]


class ParseOut(_Out):
    events: list[ParsedEventOut]


class ParserOut(_Out):
    name: str
    pattern: str
    created_at: datetime | None = None


class ParserListOut(_Out):
    builtin: list[str]
    custom: list[ParserOut]


class RejectionOut(_Out):
    route: str
    reason: str
    count: int
    sample: str
    first_seen: datetime
    last_seen: datetime


class RejectionListOut(_Out):
    rejections: list[RejectionOut]


class HealthOut(_Out):
    status: str = Field(description="ok, degraded (an optional dependency is down) or unavailable")
    checks: dict[str, str] = Field(default_factory=dict)


class EsBulkOut(_Out):
    """Elasticsearch's bulk answer: per-item statuses inside a 200."""

    took: int
    errors: bool
    items: list[dict[str, dict[str, Any]]] = Field(
        description="One `{<action>: {_index, _id, status, result | error}}` per operation"
    )


class EsInfoOut(_Out):
    name: str
    cluster_name: str
    version: dict[str, Any]
    tagline: str


class OtlpExportOut(_Out):
    """ExportLogsServiceResponse (JSON encoding; protobuf when the request was protobuf)."""

    partialSuccess: dict[str, Any] | None = None
