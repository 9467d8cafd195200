"""Tenants and their limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from src.domain.archive import ArchiveFormat


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantLimits:
    """Per-tenant overrides; None means the platform default from settings applies."""

    requests_per_minute: int | None = None
    max_batch_events: int | None = None
    max_body_bytes: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {
            "requests_per_minute": self.requests_per_minute,
            "max_batch_events": self.max_batch_events,
            "max_body_bytes": self.max_body_bytes,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    id: UUID
    name: str
    status: TenantStatus
    retention_days: int
    limits: TenantLimits = field(default_factory=TenantLimits)
    # None: the platform default (LOGPLANE_WORKER_ARCHIVE_FORMAT).
    archive_format: ArchiveFormat | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is TenantStatus.ACTIVE
