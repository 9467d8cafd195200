"""Port: signing and verifying short-lived tenant tokens (JWT today; the library stays behind this)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from src.domain.credentials import TokenClaims


class TokenCodec(Protocol):
    @abstractmethod
    def issue(self, claims: TokenClaims) -> str:
        """Sign claims into a token."""

    @abstractmethod
    async def verify(self, token: str) -> TokenClaims:
        """Return the claims of a valid token; raise Unauthenticated for anything else.

        Async because verifying an asymmetric token may fetch the issuer's JWKS.
        """
