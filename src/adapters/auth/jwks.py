"""An issuer's JWKS endpoint, fetched with httpx and cached: the public keys it signs tokens with.

Plain JWK dicts only, no JOSE library here, so the codec's library can be swapped without touching this.
The cache trades freshness against load: keys are reused for `ttl_seconds`; an unknown `kid` forces a
refetch (the issuer may have rotated), but never more often than `min_refetch_interval_seconds`, so a
stream of tokens with made-up kids cannot turn us into a load generator against the issuer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)

Jwk = Mapping[str, Any]
_LOOPBACK_NAMES = frozenset({"localhost"})


class JwksUnavailable(Exception):
    """No usable key set could be had: endpoint down, bad answer, or cached keys too old."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    keys: Mapping[str, Jwk]
    fetched_at: float


class JwksKeySet:
    def __init__(
        self,
        *,
        url: str,
        http_client: httpx.AsyncClient | None = None,
        ttl_seconds: float = 300.0,
        min_refetch_interval_seconds: float = 30.0,
        max_stale_seconds: float = 600.0,
        timeout_seconds: float = 5.0,
        max_document_bytes: int = 65_536,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _refuse_plain_http(url)
        if ttl_seconds < 0 or min_refetch_interval_seconds < 0 or max_stale_seconds < 0:
            raise ValueError("JWKS cache durations must not be negative")
        self._url = url
        self._client = http_client  # owned by the composition root when given
        self._ttl = ttl_seconds
        self._min_interval = min_refetch_interval_seconds
        self._max_stale = max_stale_seconds
        self._timeout = timeout_seconds
        self._max_bytes = max_document_bytes
        self._clock = clock
        self._snapshot: _Snapshot | None = None
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()

    async def find(self, kid: str) -> Jwk | None:
        """The published key with this kid, or None if the issuer does not publish it (after a refetch).

        Raises JwksUnavailable when there is no key set recent enough to trust.
        """
        snap = self._snapshot
        if snap is not None and self._clock() - snap.fetched_at < self._ttl and kid in snap.keys:
            return snap.keys[kid]
        # One refetch at a time: concurrent requests with a new kid wait for it instead of piling on.
        async with self._lock:
            now = self._clock()
            snap = self._snapshot
            fresh = snap is not None and now - snap.fetched_at < self._ttl
            if not (fresh and snap is not None and kid in snap.keys) and self._may_fetch(now):
                self._last_attempt = now
                try:
                    snap = self._snapshot = _Snapshot(await self._fetch(), now)
                except JwksUnavailable as e:
                    logger.warning("JWKS refresh from %s failed: %s", self._url, e)
            if snap is None:
                raise JwksUnavailable("no JWKS has been fetched yet")
            # Stale keys bridge a short outage, but a key the issuer withdrew must not live on forever.
            if now - snap.fetched_at >= self._ttl + self._max_stale:
                raise JwksUnavailable("the cached JWKS is too old and cannot be refreshed")
            return snap.keys.get(kid)

    def _may_fetch(self, now: float) -> bool:
        return self._last_attempt is None or now - self._last_attempt >= self._min_interval

    async def _fetch(self) -> dict[str, Jwk]:
        try:
            if self._client is not None:
                body = await self._get(self._client)
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    body = await self._get(client)
        except httpx.HTTPError as e:
            raise JwksUnavailable(f"request failed ({type(e).__name__})") from e
        try:
            document = json.loads(body)
        except ValueError as e:
            raise JwksUnavailable("the answer is not JSON") from e
        return _signing_keys(document)

    async def _get(self, client: httpx.AsyncClient) -> bytes:
        # Redirects are not followed: the configured URL is the trust anchor.
        async with client.stream("GET", self._url, timeout=self._timeout, follow_redirects=False) as resp:
            if resp.status_code != 200:
                raise JwksUnavailable(f"the endpoint answered HTTP {resp.status_code}")
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise JwksUnavailable(f"the document exceeds {self._max_bytes} bytes")
            return bytes(body)


def _signing_keys(document: object) -> dict[str, Jwk]:
    """Public RS/EC signing keys by kid; anything else in the set is skipped, not trusted."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable("the document has no 'keys' list")
    keys: dict[str, Jwk] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") not in ("RSA", "EC") or entry.get("use", "sig") != "sig":
            continue
        if "d" in entry:  # private material has no business in a published set
            logger.warning("JWKS key %r carries private parameters; ignored", entry["kid"])
            continue
        keys.setdefault(entry["kid"], entry)  # on a duplicate kid the first one wins
    return keys


def _refuse_plain_http(url: str) -> None:
    # Keys fetched over plain HTTP could be swapped by anyone on the path; loopback is fine for tests.
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as e:
        raise ValueError("jwks_url is not a valid URL") from e
    if parsed.scheme == "https":
        return
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return
    raise ValueError("jwks_url must use https (plain http is allowed only on loopback)")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
