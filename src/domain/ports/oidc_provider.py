"""Port: an OpenID Connect provider, for the authorization code flow with PKCE."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcIdentity:
    """What a verified ID token says about the person who signed in."""

    subject: str
    email: str | None
    email_verified: bool | None


class OidcProvider(Protocol):
    @abstractmethod
    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser: the provider's login, asking for a code bound to the
        verifier's S256 challenge."""

    @abstractmethod
    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> OidcIdentity:
        """Redeem the code (with the PKCE verifier) and verify the ID token: signature by the
        provider's published keys, issuer, audience, expiry and nonce. Unauthenticated if any fails."""
