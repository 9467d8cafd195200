"""Human users of a tenant, their roles, sessions and the login lockout rule."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from src.domain.credentials import Scope
from src.domain.errors import InvalidInput

SESSION_PREFIX = "lps_"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a bound keeps one login from costing much more
# Lockout: after LOCK_AFTER failures in a row the account is locked for LOCK_BASE, doubling with
# every further failure up to LOCK_MAX. A success resets the count.
LOCK_AFTER = 5
LOCK_BASE = timedelta(seconds=30)
LOCK_MAX = timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


# A session has exactly its role's scopes; routes check scopes as they do for keys and tokens.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.VIEWER: frozenset({Scope.READ}),
    Role.EDITOR: frozenset({Scope.READ, Scope.EDIT}),
    Role.ADMIN: frozenset({Scope.READ, Scope.EDIT, Scope.INGEST, Scope.ADMIN}),
}


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidInput("not an email address", details={"field": "email"})
    return value


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password needs {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters", details={"field": "password"}
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    tenant_id: UUID
    id: UUID
    email: str
    role: Role
    password_hash: str | None  # None: the user signs in through OIDC only
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None

    @property
    def scopes(self) -> frozenset[Scope]:
        return ROLE_SCOPES[self.role]

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def lock_after_failure(failures: int, now: datetime) -> datetime | None:
    """When the account unlocks after `failures` failed logins in a row (None: not locked)."""
    if failures < LOCK_AFTER:
        return None
    # The exponent is capped before multiplying: a long run of failures must not overflow.
    doublings = min(failures - LOCK_AFTER, 20)
    backoff: timedelta = min(LOCK_BASE * (2**doublings), LOCK_MAX)
    return now + backoff


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSession:
    """A login: the browser holds the secret, the database its hash (to revoke and expire it)."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    token_hash: bytes
    expires_at: datetime
    created_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveSession:
    """A session found by its secret, with the user it stands for."""

    session: UserSession
    user: User


def new_session_secret() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def looks_like_session(credential: str) -> bool:
    return credential.startswith(SESSION_PREFIX)


def hash_session_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def csrf_token_for(secret: str) -> str:
    """The session's CSRF token, derived from its secret: a page can read the token (cookie
    `logplane_csrf`) but not the HttpOnly secret, and the hash does not give the secret back."""
    digest = hashlib.sha256(b"logplane-csrf:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_matches(secret: str, presented: str | None) -> bool:
    return presented is not None and secrets.compare_digest(csrf_token_for(secret).encode(), presented.encode())
