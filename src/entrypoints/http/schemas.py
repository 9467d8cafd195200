"""Request and response models of the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from src.domain.archive import ArchiveFormat
from src.domain.credentials import Scope
from src.domain.errors import InvalidEvent
from src.domain.logs import LogDraft
from src.domain.severity import Severity, normalise_severity
from src.domain.tenants import Tenant, TenantStatus
from src.domain.text import unstorable_path

# Earlier instants are no log's: PostgreSQL drivers mangle the very earliest (asyncpg stores year 1 as
# -infinity), and each distinct day would get its own partition.
EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
MAX_REQUESTS_PER_MINUTE = 10_000_000
MAX_BATCH_EVENTS = 1_000_000
MAX_BODY_BYTES = 1024**3


def _storable(value: Any) -> Any:
    # PostgreSQL text and jsonb cannot hold U+0000, nor UTF-8 a lone surrogate: refuse here, not fail a commit.
    if unstorable_path(value) is not None:
        raise ValueError("must not contain U+0000 or a lone surrogate")
    return value


# A string that will be stored: names, patterns (tenant, key, parser …).
StorableText = Annotated[str, AfterValidator(_storable)]


class LogEventIn(BaseModel):
    """One event. Unknown top-level fields are refused: custom data belongs in `attributes`,
    and a stray `tenant_id` or `scope` must never look as if it had been honoured."""

    model_config = ConfigDict(extra="forbid")

    message: str
    timestamp: AwareDatetime | None = None
    # `level` is what most loggers call it; accepted as an alias.
    severity: Severity = Field(
        default=Severity.INFO,
        validation_alias=AliasChoices("severity", "level"),
        description="Level name (any case, common aliases) or OpenTelemetry number 1-24; also accepted as `level`.",
    )
    service: str | None = None
    host: str | None = None
    user_id: str | None = None
    action: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    id: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _one_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and "severity" in data and "level" in data:
            raise ValueError("give the level as 'severity' or as 'level', not both")
        return data

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: object) -> Severity:
        return normalise_severity(value)

    @field_validator("timestamp")
    @classmethod
    def _not_before_epoch(cls, value: datetime | None) -> datetime | None:
        if value is not None and value < EARLIEST_TIMESTAMP:
            raise ValueError("must not be before 1970-01-01T00:00:00Z")
        return value

    @field_validator("message", "service", "host", "user_id", "action", "trace_id", "span_id", "id", "attributes")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _storable(value)

    def to_draft(self, *, client_id: str | None = None, request_hash: str | None = None) -> LogDraft:
        return LogDraft(
            message=self.message,
            timestamp=self.timestamp,
            severity=self.severity,
            service=self.service,
            host=self.host,
            user_id=self.user_id,
            action=self.action,
            trace_id=self.trace_id,
            span_id=self.span_id,
            attributes=self.attributes,
            client_id=client_id or (f"id:{self.id}" if self.id else None),
            request_hash=request_hash,
        )


def describe_validation_error(error: ValidationError) -> InvalidEvent:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ()))
    if first.get("type") == "extra_forbidden":
        return InvalidEvent(
            f"unknown field {field!r}; put custom data in 'attributes'",
            code="unknown_field",
            details={"field": field},
        )
    if first.get("type") == "missing":
        return InvalidEvent(f"{field} is required", code="missing_field", details={"field": field})
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if not field:  # a rule over the whole event (a model validator) names no field
        return InvalidEvent(message, code="invalid_event")
    return InvalidEvent(f"{field}: {message}", code="invalid_field", details={"field": field})


def draft_from(item: Any) -> LogDraft | InvalidEvent:
    if not isinstance(item, dict):
        return InvalidEvent("each event must be a JSON object", code="invalid_event")
    try:
        return LogEventIn.model_validate(item).to_draft()
    except ValidationError as e:
        return describe_validation_error(e)


class TenantLimitsIn(BaseModel):
    # Upper bounds keep the numbers storable (jsonb via orjson takes 64-bit at most) and sane.
    model_config = ConfigDict(extra="forbid")
    requests_per_minute: int | None = Field(default=None, gt=0, le=MAX_REQUESTS_PER_MINUTE)
    max_batch_events: int | None = Field(default=None, gt=0, le=MAX_BATCH_EVENTS)
    max_body_bytes: int | None = Field(default=None, gt=0, le=MAX_BODY_BYTES)


class TenantCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StorableText
    retention_days: int | None = Field(default=None, gt=0, le=3650)
    limits: TenantLimitsIn = Field(default_factory=TenantLimitsIn)


class TenantPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retention_days: int | None = Field(default=None, gt=0, le=3650)
    status: TenantStatus | None = None
    limits: TenantLimitsIn | None = None
    # null: back to the platform default (LOGPLANE_WORKER_ARCHIVE_FORMAT).
    archive_format: ArchiveFormat | None = None


class TenantOut(BaseModel):
    id: UUID
    name: str
    status: TenantStatus
    retention_days: int
    limits: dict[str, int | None]
    archive_format: ArchiveFormat | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls(
            id=tenant.id,
            name=tenant.name,
            status=tenant.status,
            retention_days=tenant.retention_days,
            limits=tenant.limits.as_dict(),
            archive_format=tenant.archive_format,
            created_at=tenant.created_at,
            updated_at=tenant.updated_at,
        )


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_key: str | None = None
    scopes: list[Scope] | None = None
    ttl_seconds: int | None = Field(default=None, gt=0)


class KeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StorableText = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)
