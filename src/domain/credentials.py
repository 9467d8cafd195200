"""API keys, scopes and the principal a credential stands for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from src.domain.errors import Forbidden

API_KEY_PREFIX = "lp_"


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    # Tenant configuration short of administration: parsers (and later alert rules). An editor
    # role carries it; `admin` implies it, so keys and tokens keep what they could do before.
    EDIT = "edit"
    ADMIN = "admin"


# What a tenant's first key carries. `edit` is left out on purpose: `admin` implies it, and keys
# created before `edit` existed must read the same as new ones.
ALL_SCOPES = frozenset({Scope.INGEST, Scope.READ, Scope.ADMIN})


def parse_scopes(values: list[str] | tuple[str, ...] | str) -> frozenset[Scope]:
    items = values.split() if isinstance(values, str) else values
    try:
        return frozenset(Scope(v) for v in items)
    except ValueError as e:
        raise ValueError(f"unknown scope in {list(items)}; scopes are ingest, read, edit, admin") from e


def new_api_key_secret() -> str:
    """256 random bits; such a key needs no slow hash, a SHA-256 digest cannot be reversed."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    id: UUID
    tenant_id: UUID
    name: str
    scopes: frozenset[Scope]
    key_hash: bytes
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who is calling: the tenant comes from here and nowhere else."""

    tenant_id: UUID
    subject: str
    scopes: frozenset[Scope]
    via: str  # "api_key", "jwt" or "session" (a human user's login)
    # Unix time after which the credential is no longer valid (a token's exp); None: no expiry.
    expires_at: int | None = None
    # The API key behind the credential (the key itself, or the key a token was minted from).
    key_id: UUID | None = None
    # A human user behind a session: the email names them in the audit log.
    user_id: UUID | None = None
    email: str | None = None

    @property
    def actor(self) -> str:
        """Who did it, as the audit log records it."""
        return f"user:{self.email}" if self.email else self.subject

    def has(self, scope: Scope) -> bool:
        # A tenant admin may do everything a tenant may do.
        return scope in self.scopes or Scope.ADMIN in self.scopes

    def require(self, scope: Scope) -> None:
        """Raise Forbidden (403 `missing_scope`) unless this credential carries `scope`."""
        if not self.has(scope):
            raise Forbidden(
                f"this credential lacks the '{scope.value}' scope", code="missing_scope", details={"scope": scope.value}
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenClaims:
    sub: str
    tid: UUID
    scope: frozenset[Scope]
    iat: int
    exp: int
    iss: str
    aud: str
    # The API key a token was minted from: the token dies with that key. None for tokens of an
    # external issuer (JWKS), whose revocation is that issuer's business.
    key_id: UUID | None = None


KEY_SUBJECT_PREFIX = "key:"


def key_subject(key_id: UUID) -> str:
    return f"{KEY_SUBJECT_PREFIX}{key_id}"


def minted_from_key(claims: TokenClaims) -> UUID | None:
    """The key a token stands for: its `key_id` claim, or for tokens minted before that claim
    existed, the `key:<id>` subject our issuer has always written."""
    if claims.key_id is not None:
        return claims.key_id
    if claims.sub.startswith(KEY_SUBJECT_PREFIX):
        try:
            return UUID(claims.sub[len(KEY_SUBJECT_PREFIX) :])
        except ValueError:
            return None
    return None
