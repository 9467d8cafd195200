"""Use case: exchange an API key for a short-lived JWT."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from src.domain.credentials import Scope, TokenClaims
from src.domain.errors import Forbidden, InvalidInput, Unauthenticated
from src.domain.ports.token_codec import TokenCodec
from src.usecases.authenticate import Authenticate, AuthenticateRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueTokenRequest:
    api_key: str
    scopes: frozenset[Scope] | None = None  # narrow the key's scopes; never widen
    ttl_seconds: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: frozenset[Scope]


class IssueToken:
    """Rules: only an API key can be exchanged (a token cannot mint tokens); the token carries at
    most the key's scopes; its lifetime is at most the configured maximum; it names its key
    (`key_id`), so revoking the key or suspending the tenant refuses the token too."""

    def __init__(
        self,
        authenticate: Authenticate,
        codec: TokenCodec,
        *,
        issuer: str,
        audience: str,
        default_ttl: int,
        max_ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._authenticate = authenticate
        self._codec = codec
        self._issuer = issuer
        self._audience = audience
        self._default_ttl = default_ttl
        self._max_ttl = max_ttl
        self._clock = clock

    async def execute(self, request: IssueTokenRequest) -> IssuedToken:
        if not request.api_key.startswith("lp_"):
            raise Unauthenticated("only an API key can be exchanged for a token", code="invalid_api_key")
        principal = await self._authenticate.execute(AuthenticateRequest(credential=request.api_key))
        scopes = principal.scopes if request.scopes is None else request.scopes
        if not scopes <= principal.scopes:
            raise Forbidden(
                "a token cannot carry scopes its key lacks",
                code="scope_not_granted",
                details={"requested": sorted(scopes), "granted": sorted(principal.scopes)},
            )
        ttl = request.ttl_seconds or self._default_ttl
        if not 0 < ttl <= self._max_ttl:
            raise InvalidInput(f"ttl_seconds must be between 1 and {self._max_ttl}", details={"field": "ttl_seconds"})
        now = int(self._clock())
        token = self._codec.issue(
            TokenClaims(
                sub=principal.subject,
                tid=principal.tenant_id,
                scope=scopes,
                iat=now,
                exp=now + ttl,
                iss=self._issuer,
                aud=self._audience,
                key_id=principal.key_id,
            )
        )
        return IssuedToken(access_token=token, expires_in=ttl, scopes=scopes)
