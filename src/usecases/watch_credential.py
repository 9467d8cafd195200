"""Use case: keep checking the credential a long-lived connection (live stream) was opened with."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError, Forbidden, Unauthenticated
from src.usecases.authenticate import Authenticate, AuthenticateRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchCredentialRequest:
    credential: str
    principal: Principal  # what the credential stood for at connect
    scope: Scope


class WatchCredential:
    """Rules:
    - the credential is authenticated again every `interval` seconds, through the same short
      caches as every request, so a revoked key (or a token minted from it) or a suspended tenant
      ends the connection within `interval` + the cache TTL (at once for changes made in-process);
    - a token ends at its `exp`, whatever the verification leeway allows a single request;
    - losing the scope ends it too; the tenant can never change (the credential is the same);
    - while the credential store is unavailable the connection goes on and the check is retried:
      an outage of PostgreSQL must not drop every live stream.
    Returns the refusal (Unauthenticated or Forbidden) that ended it.
    """

    def __init__(
        self,
        authenticate: Authenticate,
        *,
        interval: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._authenticate = authenticate
        self._interval = interval
        self._clock = clock
        self._sleep = sleep

    async def until_refused(self, request: WatchCredentialRequest) -> DomainError:
        expires_at = request.principal.expires_at
        while True:
            wait = self._interval
            if expires_at is not None:
                wait = min(wait, max(0.0, expires_at - self._clock()))
            await self._sleep(wait)
            if expires_at is not None and self._clock() >= expires_at:
                return Unauthenticated("the token has expired", code="token_expired")
            try:
                principal = await self._authenticate.execute(AuthenticateRequest(credential=request.credential))
                principal.require(request.scope)
            except (Unauthenticated, Forbidden) as refused:
                return refused
            except Exception:
                # The store's driver errors do not reach this layer as DomainErrors; whatever the
                # failure, it is logged and the next check retries.
                logger.warning("could not re-check a stream's credential; retrying", exc_info=True)
