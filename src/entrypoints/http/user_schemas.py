"""Request and response models of the human-user routes: login, users, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from src.domain.audit import AuditEntry
from src.domain.users import MAX_PASSWORD_LENGTH, Role, User
from src.entrypoints.http.schemas import StorableText


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: StorableText = Field(min_length=1, max_length=200, description="The tenant's name or id")
    email: StorableText = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class UserOut(BaseModel):
    id: str
    email: str
    role: Role
    tenant_id: str
    disabled: bool = False
    locked: bool = False
    created_at: datetime | None = None

    @classmethod
    def of(cls, user: User, *, now: datetime) -> UserOut:
        return cls(
            id=str(user.id),
            email=user.email,
            role=user.role,
            tenant_id=str(user.tenant_id),
            disabled=user.disabled,
            locked=user.is_locked(now),
            created_at=user.created_at,
        )


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send it back as the X-CSRF-Token header on POST/PUT/PATCH/DELETE")
    expires_at: datetime


class AuthMethodsOut(BaseModel):
    password: bool = Field(description="POST /api/v1/auth/login with tenant, email and password")
    oidc: bool = Field(description="GET /api/v1/auth/oidc/login?tenant=<name> (LOGPLANE_OIDC_ISSUER is set)")


class MeOut(BaseModel):
    user: UserOut | None = Field(description="The logged-in user; null for an API key or JWT")
    role: Role | None
    tenant_id: str
    tenant_name: str | None
    scopes: list[str]
    via: str = Field(description="session, api_key or jwt")


class UserCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: StorableText = Field(min_length=3, max_length=320)
    role: Role
    password: str | None = Field(
        default=None,
        max_length=MAX_PASSWORD_LENGTH,
        description="12+ characters; omit for a user who signs in through OIDC only",
    )


class UserPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(
        default=None, max_length=MAX_PASSWORD_LENGTH, description="A reset: also unlocks and ends the user's sessions"
    )


class UserListOut(BaseModel):
    items: list[UserOut]


class AuditEntryOut(BaseModel):
    id: str
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            id=str(entry.id),
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            details=entry.details,
        )


class AuditListOut(BaseModel):
    items: list[AuditEntryOut]
