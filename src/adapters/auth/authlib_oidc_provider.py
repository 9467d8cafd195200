"""An OpenID Connect provider through authlib (authorization URL with PKCE S256, code exchange)
and python-jose (ID token verification against the provider's JWKS, as the token codec does)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from jose import JWTError, jwt

from src.domain.errors import DependencyUnavailable, Unauthenticated
from src.domain.ports.oidc_provider import OidcIdentity, OidcProvider

logger = logging.getLogger(__name__)

# Asymmetric only: an ID token signed with a shared secret (HS256, keyed by the client secret) is
# not accepted, so knowing the client secret is not enough to forge one.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


def _failed(reason: str) -> Unauthenticated:
    return Unauthenticated(f"the OpenID Connect login failed: {reason}", code="oidc_failed")


class AuthlibOidcProvider(OidcProvider):
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        scopes: str = "openid email profile",
        timeout_seconds: float = 10.0,
    ) -> None:
        self._issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._scopes = scopes
        self._timeout = timeout_seconds
        self._metadata: dict[str, Any] | None = None

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            scope=self._scopes,
            redirect_uri=self._redirect_uri,
            code_challenge_method="S256",
            # A public client (no secret) authenticates by its PKCE verifier alone.
            token_endpoint_auth_method="client_secret_basic" if self._client_secret else "none",
            timeout=self._timeout,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                response = await http.get(url)
                response.raise_for_status()
                body = response.json()
        except (httpx.HTTPError, ValueError) as e:
            raise DependencyUnavailable(
                "the OpenID Connect provider is unavailable", code="oidc_unavailable", details={"url": url}
            ) from e
        if not isinstance(body, dict):
            raise DependencyUnavailable("the OpenID Connect provider answered nonsense", code="oidc_unavailable")
        return body

    async def _discover(self) -> dict[str, Any]:
        if self._metadata is None:
            metadata = await self._get_json(f"{self._issuer}/.well-known/openid-configuration")
            if str(metadata.get("issuer", "")).rstrip("/") != self._issuer:
                raise DependencyUnavailable(
                    "the provider's discovery document names another issuer", code="oidc_unavailable"
                )
            self._metadata = metadata
        return self._metadata

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        metadata = await self._discover()
        client = self._client()
        try:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier
            )
        finally:
            await client.aclose()
        return str(url)

    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> OidcIdentity:
        metadata = await self._discover()
        try:
            async with self._client() as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=code_verifier
                )
        except OAuthError as e:
            raise _failed(f"the provider refused the code ({e.error})") from e
        except httpx.HTTPError as e:
            raise DependencyUnavailable("the OpenID Connect provider is unavailable", code="oidc_unavailable") from e
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _failed("the provider sent no ID token")
        keys = await self._get_json(metadata["jwks_uri"])
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in offered if a in SIGNING_ALGORITHMS]
        try:
            claims = jwt.decode(
                id_token,
                keys,
                algorithms=algorithms,
                audience=self._client_id,
                issuer=metadata["issuer"],
                access_token=token.get("access_token"),
            )
        except JWTError as e:
            raise _failed(f"the ID token does not verify ({e})") from e
        if claims.get("nonce") != nonce:
            raise _failed("the ID token's nonce is not this login's")
        email = claims.get("email")
        verified = claims.get("email_verified")
        return OidcIdentity(
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=verified if isinstance(verified, bool) else None,
        )
