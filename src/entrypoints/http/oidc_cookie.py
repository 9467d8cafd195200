"""The pending OpenID Connect login, carried by the browser in a signed, short-lived cookie.

Signed (HMAC-SHA256) so that nobody but this deployment can mint one; the state inside is
compared with the callback's, so a forged callback without the cookie fails too. No server-side
store: any API process can finish a login another one started.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

import orjson

from src.usecases.oidc_login import PendingOidcLogin

OIDC_COOKIE = "logplane_oidc"
OIDC_COOKIE_PATH = "/api/v1/auth/oidc"


def signing_key(*secrets: str) -> bytes:
    return hashlib.sha256(b"logplane-oidc-pending\x00" + "\x00".join(secrets).encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(pending: PendingOidcLogin, key: bytes) -> str:
    payload = orjson.dumps(
        {
            "s": pending.state,
            "n": pending.nonce,
            "v": pending.code_verifier,
            "t": str(pending.tenant_id),
            "e": pending.expires_at,
        }
    )
    return f"{_b64(payload)}.{_b64(hmac.new(key, payload, hashlib.sha256).digest())}"


def unseal(value: str | None, key: bytes) -> PendingOidcLogin | None:
    """The pending login, or None when the cookie is missing, altered or malformed."""
    if not value or "." not in value:
        return None
    body, _, signature = value.partition(".")
    try:
        payload = _unb64(body)
        if not hmac.compare_digest(_unb64(signature), hmac.new(key, payload, hashlib.sha256).digest()):
            return None
        data = orjson.loads(payload)
        return PendingOidcLogin(
            state=str(data["s"]),
            nonce=str(data["n"]),
            code_verifier=str(data["v"]),
            tenant_id=UUID(data["t"]),
            expires_at=int(data["e"]),
        )
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
