"""The audit log: who did what to which target, and when; one tenant's entries are its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

PLATFORM_ADMIN_ACTOR = "platform-admin"
CLI_ACTOR = "cli"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    tenant_id: UUID
    id: UUID
    at: datetime
    actor: str  # "user:<email>", "key:<id>", a token's subject, "platform-admin" or "cli"
    action: str  # e.g. "user.create", "key.revoke", "tenant.update", "logs.cleanup"
    target: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
