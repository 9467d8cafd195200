"""Row ↔ entity conversions shared by the PostgreSQL repositories."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import RowMapping

from src.domain.archive import ArchiveFormat
from src.domain.credentials import ApiKey, parse_scopes
from src.domain.logs import LogEvent
from src.domain.severity import Severity
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.domain.tenants import Tenant, TenantLimits, TenantStatus


def _json(value: Any) -> Any:
    # asyncpg hands jsonb back as text unless a codec is set; accept both.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def as_uuid(value: Any) -> UUID:
    # asyncpg returns its own UUID subclass, which orjson refuses to serialise; hand out the stdlib type.
    return value if type(value) is UUID else UUID(str(value))


def tenant_from_row(row: RowMapping) -> Tenant:
    limits = _json(row["limits"]) or {}
    return Tenant(
        id=as_uuid(row["id"]),
        name=row["name"],
        status=TenantStatus(row["status"]),
        retention_days=row["retention_days"],
        limits=TenantLimits(**limits),
        archive_format=ArchiveFormat(row["archive_format"]) if row["archive_format"] else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def api_key_from_row(row: RowMapping) -> ApiKey:
    return ApiKey(
        id=as_uuid(row["id"]),
        tenant_id=as_uuid(row["tenant_id"]),
        name=row["name"],
        scopes=parse_scopes(list(row["scopes"])),
        key_hash=bytes(row["key_hash"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def task_from_row(row: RowMapping) -> AsyncTask:
    return AsyncTask(
        task_id=as_uuid(row["task_id"]),
        tenant_id=as_uuid(row["tenant_id"]),
        user_id=row["user_id"],
        task_type=TaskType(row["task_type"]),
        status=TaskStatus(row["status"]),
        payload=_json(row["payload"]),
        result=_json(row["result"]),
        error_msg=row["error_msg"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def log_from_row(row: RowMapping) -> LogEvent:
    return LogEvent(
        id=as_uuid(row["id"]),
        tenant_id=as_uuid(row["tenant_id"]),
        timestamp=row["timestamp"],
        received_at=row["received_at"],
        severity=Severity(row["severity"]),
        service=row["service"],
        message=row["message"],
        host=row["host"],
        user_id=row["user_id"],
        action=row["action"],
        trace_id=row["trace_id"],
        span_id=row["span_id"],
        attributes=_json(row["attributes"]),
        client_id=row["client_id"],
        pattern_id=row.get("pattern_id"),
    )
