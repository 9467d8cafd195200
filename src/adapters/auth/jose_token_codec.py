"""TokenCodec on python-jose: HS*, RS* and ES* JWTs checked against a pinned algorithm list.

Every refused token raises Unauthenticated with its own code:
- `token_too_large`: over `max_token_bytes`, checked before any parsing;
- `invalid_token`: not a compact JWS, bad header, unsupported `crit`, bad `kid`, signature does not verify;
- `algorithm_not_allowed`: header `alg` not pinned (`none` can never be pinned);
- `unknown_key`: no configured or published key fits the token; `jwks_unavailable`: JWKS cannot be had;
- `missing_claim`, `invalid_claim`, `invalid_issuer`, `invalid_audience`;
- `token_expired`, `token_not_yet_valid` (iat/nbf ahead of our clock), `token_lifetime_too_long`.

The optional `key_id` claim names the API key a token was minted from (our issuer always writes it);
whether that key still lives is checked by the Authenticate use case, not here.

The algorithm is never taken from the token: the unverified header only selects among pinned ones and
names the `kid`. HS* verify only with the HMAC secret and RS*/ES* only with public keys, so a public
key can never be replayed as an HMAC secret. python-jose is confined to this module (`jwks.py` holds
plain dicts), so PyJWT or joserfc can replace it here alone.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias
from uuid import UUID

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import ExpiredSignatureError, JWTError, jwk, jwt
from jose.exceptions import JWTClaimsError

from src.adapters.auth.jwks import Jwk, JwksKeySet, JwksUnavailable
from src.domain.credentials import TokenClaims, parse_scopes
from src.domain.errors import Unauthenticated
from src.domain.ports.token_codec import TokenCodec

JoseKey: TypeAlias = Any  # python-jose ships no type hints
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

MAX_LEEWAY_SECONDS = 300
# HMAC secrets: never under 32 bytes, and at least the hash output size (RFC 7518 §3.2).
_HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_RSA_ALGS = frozenset({"RS256", "RS384", "RS512"})
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}  # RFC 7518 §3.4 ties curve to alg
_CURVE_JWK_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_SUPPORTED = frozenset(_HMAC_MIN_BYTES) | _RSA_ALGS | frozenset(_EC_CURVES)
_MIN_RSA_BITS = 2048
_REQUIRED_CLAIMS = ("sub", "tid", "scope", "iat", "exp", "iss", "aud")
_MAX_KID_CHARS = 256
# Three base64url segments and nothing else, checked before python-jose parses anything: its decoder
# skips stray characters, and JWE or padded forms have no business here. An empty signature still
# matches so that an unsigned token is refused for its algorithm, which is the clearer message.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# python-jose checks time claims against the wall clock (not our injectable one) and lets a non-numeric
# iat escape as TypeError, so the time claims are checked in `_claims`; iss and aud are checked by both.
_JOSE_OPTIONS = {"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_at_hash": False}


class JoseTokenCodec(TokenCodec):
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str] = ("HS256",),
        secret: str | None = None,
        private_key_pem: str | None = None,
        public_key_pem: str | None = None,
        key_id: str | None = None,
        jwks_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        jwks_ttl_seconds: float = 300.0,
        jwks_min_refetch_seconds: float = 30.0,
        leeway_seconds: int = 30,
        max_token_bytes: int = 8192,
        max_lifetime_seconds: int = 86_400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer or not audience:
            raise ValueError("issuer and audience must be set")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"leeway_seconds must be between 0 and {MAX_LEEWAY_SECONDS}")
        if max_token_bytes <= 0 or max_lifetime_seconds <= 0:
            raise ValueError("max_token_bytes and max_lifetime_seconds must be positive")
        self._algorithms = _pinned(algorithms)
        self._issuer, self._audience = issuer, audience
        self._leeway, self._max_bytes = leeway_seconds, max_token_bytes
        self._max_lifetime = max_lifetime_seconds
        self._clock, self._key_id = clock, key_id
        self._hmac_keys = _hmac_keys(self._algorithms, secret)
        private = _load_private(private_key_pem) if private_key_pem else None
        public = _load_public(public_key_pem) if public_key_pem else None
        if private is not None and public is not None and not _same_key(private.public_key(), public):
            raise ValueError("private_key_pem and public_key_pem are not a key pair")
        if public is None and private is not None:
            public = private.public_key()  # so the codec can verify what it issues
        self._public_keys = _public_keys(self._algorithms, public)
        self._jwks = (
            JwksKeySet(
                url=jwks_url,
                http_client=http_client,
                ttl_seconds=jwks_ttl_seconds,
                min_refetch_interval_seconds=jwks_min_refetch_seconds,
            )
            if jwks_url
            else None
        )
        for alg in self._algorithms:
            if alg not in self._hmac_keys and alg not in self._public_keys and self._jwks is None:
                raise ValueError(f"{alg} is pinned but no key to verify it is configured")
        self._signer = _signer(self._algorithms, private, self._hmac_keys)

    def issue(self, claims: TokenClaims) -> str:
        if self._signer is None:
            raise RuntimeError("this codec only verifies: configure a secret or private_key_pem to issue")
        if not 0 < claims.exp - claims.iat <= self._max_lifetime:
            raise ValueError(f"exp must fall after iat and within {self._max_lifetime}s of it")
        if not claims.scope or not claims.sub:
            raise ValueError("a token needs a subject and at least one scope")  # verify would refuse it
        alg, key = self._signer
        payload = {
            "sub": claims.sub,
            "tid": str(claims.tid),
            "scope": " ".join(sorted(claims.scope)),
            "iat": claims.iat,
            "exp": claims.exp,
            "iss": claims.iss,
            "aud": claims.aud,
        }
        if claims.key_id is not None:
            payload["key_id"] = str(claims.key_id)
        headers = {"kid": self._key_id} if self._key_id else None
        token = str(jwt.encode(payload, key, algorithm=alg, headers=headers))
        if len(token) > self._max_bytes:
            raise ValueError(f"the issued token would exceed max_token_bytes ({self._max_bytes})")
        return token

    async def verify(self, token: str) -> TokenClaims:
        header = self._unverified_header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise Unauthenticated("the token's signing algorithm is not allowed", code="algorithm_not_allowed")
        kid = header.get("kid")
        if kid is not None and (not isinstance(kid, str) or not 0 < len(kid) <= _MAX_KID_CHARS):
            raise _invalid("the token's key id (kid) is malformed")
        key = await self._verification_key(alg, kid)
        return self._claims(self._decode(token, key, alg))

    def _unverified_header(self, token: str) -> Mapping[str, Any]:
        # Counting characters is enough: the pattern below admits ASCII only, so characters are bytes.
        if len(token) > self._max_bytes:
            raise Unauthenticated(f"the token is larger than {self._max_bytes} bytes", code="token_too_large")
        if not _COMPACT_JWS.fullmatch(token):
            raise _invalid("the token is not a compact JWS (three base64url segments)")
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as e:
            raise _invalid("the token header is not valid JSON") from e
        if not isinstance(header, Mapping):
            raise _invalid("the token header is not a JSON object")
        if "crit" in header:  # RFC 7515 §4.1.11: extensions we do not understand must be refused
            raise _invalid("the token requires header extensions (crit) that are not supported")
        return header

    async def _verification_key(self, alg: str, kid: str | None) -> JoseKey:
        if alg in _HMAC_MIN_BYTES:
            return self._hmac_keys[alg]  # only the secret: never a public key, whatever the kid says
        if kid is not None and self._jwks is not None:
            try:
                published = await self._jwks.find(kid)
            except JwksUnavailable as e:
                raise Unauthenticated(
                    "the issuer's signing keys cannot be fetched right now", code="jwks_unavailable"
                ) from e
            if published is None:
                raise Unauthenticated("the token's key id is not published by the issuer", code="unknown_key")
            return _jose_key_from_jwk(published, alg)
        key = self._public_keys.get(alg)
        if key is None:
            raise Unauthenticated("no configured key fits this token (is its kid missing?)", code="unknown_key")
        return key

    def _decode(self, token: str, key: JoseKey, alg: str) -> Mapping[str, Any]:
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self._issuer,
                audience=self._audience,
                options=_JOSE_OPTIONS,
            )
        except JWTClaimsError as e:
            # python-jose raises this only after the signature verified, so the claims are authentic:
            # check them ourselves to say which one is wrong.
            self._claims(jwt.get_unverified_claims(token))
            raise Unauthenticated("the token's claims are invalid", code="invalid_claim") from e
        except ExpiredSignatureError as e:
            raise Unauthenticated("the token has expired", code="token_expired") from e
        except JWTError as e:
            raise _invalid("the token's signature does not verify or its payload is malformed") from e
        if not isinstance(payload, Mapping):
            raise _invalid("the token payload is not a JSON object")
        return payload

    def _claims(self, payload: Mapping[str, Any]) -> TokenClaims:
        for name in _REQUIRED_CLAIMS:
            if name not in payload:
                raise Unauthenticated(f"the token has no '{name}' claim", code="missing_claim")
        if payload["iss"] != self._issuer:
            raise Unauthenticated("the token was not issued by the expected issuer", code="invalid_issuer")
        aud = payload["aud"]
        if aud != self._audience and not (isinstance(aud, list) and self._audience in aud):
            raise Unauthenticated("the token is not meant for this audience", code="invalid_audience")
        iat, exp = _numeric_date(payload, "iat"), _numeric_date(payload, "exp")
        nbf = _numeric_date(payload, "nbf") if "nbf" in payload else None
        now = self._clock()
        if now >= exp + self._leeway:
            raise Unauthenticated("the token has expired", code="token_expired")
        if iat > now + self._leeway or (nbf is not None and nbf > now + self._leeway):
            raise Unauthenticated("the token is not valid yet", code="token_not_yet_valid")
        if exp <= iat:
            raise _invalid_claim("the token expires before it was issued")
        if exp - iat > self._max_lifetime:
            raise Unauthenticated(f"the token lives longer than {self._max_lifetime}s", code="token_lifetime_too_long")
        sub, tid, scope = _string(payload, "sub"), _string(payload, "tid"), _string(payload, "scope")
        try:
            tenant_id = UUID(tid)
        except ValueError as e:
            raise _invalid_claim("the token's tid claim is not a UUID") from e
        try:
            scopes = parse_scopes(scope)
        except ValueError as e:
            raise _invalid_claim("the token's scope claim holds an unknown scope") from e
        key_id = None
        if "key_id" in payload:
            try:
                key_id = UUID(_string(payload, "key_id"))
            except ValueError as e:
                raise _invalid_claim("the token's key_id claim is not a UUID") from e
        return TokenClaims(
            sub=sub,
            tid=tenant_id,
            scope=scopes,
            iat=iat,
            exp=exp,
            iss=self._issuer,
            aud=self._audience,
            key_id=key_id,
        )


def _invalid(message: str) -> Unauthenticated:
    return Unauthenticated(message, code="invalid_token")


def _invalid_claim(message: str) -> Unauthenticated:
    return Unauthenticated(message, code="invalid_claim")


def _string(payload: Mapping[str, Any], name: str) -> str:
    value = payload[name]
    if not isinstance(value, str) or not value:
        raise _invalid_claim(f"the token's {name} claim must be a non-empty string")
    return value


def _numeric_date(payload: Mapping[str, Any], name: str) -> int:
    value = payload[name]
    # bool is an int in Python; a string is what python-jose would have quietly coerced.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid_claim(f"the token's {name} claim must be an integer timestamp")
    return value


def _pinned(algorithms: Sequence[str]) -> frozenset[str]:
    if isinstance(algorithms, str):  # "HS256" would otherwise be read as H, S, 2, 5, 6
        raise ValueError("algorithms must be a sequence of names, not a single string")
    if not algorithms:
        raise ValueError("at least one algorithm must be pinned")
    for alg in algorithms:
        if alg.strip().lower() == "none":
            raise ValueError("the 'none' algorithm can never be allowed")
        if alg not in _SUPPORTED:
            raise ValueError(f"unsupported algorithm {alg!r}; choose from {', '.join(sorted(_SUPPORTED))}")
    return frozenset(algorithms)


def _hmac_keys(algorithms: frozenset[str], secret: str | None) -> dict[str, JoseKey]:
    pinned = sorted(a for a in algorithms if a in _HMAC_MIN_BYTES)
    if not pinned:
        return {}
    if secret is None:
        raise ValueError("an HS algorithm is pinned but no secret is configured")
    if _looks_asymmetric(secret):
        raise ValueError("the HMAC secret looks like a PEM, SSH or JWK key; use a random secret instead")
    for alg in pinned:
        if len(secret.encode()) < _HMAC_MIN_BYTES[alg]:
            raise ValueError(f"the HMAC secret must be at least {_HMAC_MIN_BYTES[alg]} bytes for {alg}")
    return {alg: jwk.construct(secret.encode(), alg) for alg in pinned}


def _looks_asymmetric(secret: str) -> bool:
    text = secret.strip()
    return "-----BEGIN" in text or text.startswith(("ssh-", "ecdsa-sha2-", "{")) or '"kty"' in text


def _load_public(pem: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except Exception:
        # `from None`: a parser's error could quote the input; key material stays out of logs.
        raise ValueError("public_key_pem is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("public_key_pem must be an RSA or EC key")
    return key


def _load_private(pem: str) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except Exception:
        raise ValueError("private_key_pem is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("private_key_pem must be an RSA or EC key")
    return key


def _same_key(a: PublicKey, b: PublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()


def _fits(key: PublicKey, alg: str) -> bool:
    if isinstance(key, rsa.RSAPublicKey):
        return alg in _RSA_ALGS
    return alg in _EC_CURVES and _CURVE_JWK_NAMES.get(key.curve.name) == _EC_CURVES[alg]


def _public_keys(algorithms: frozenset[str], public: PublicKey | None) -> dict[str, JoseKey]:
    if public is None:
        return {}
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < _MIN_RSA_BITS:
        raise ValueError(f"RSA keys must have at least {_MIN_RSA_BITS} bits")
    keys = {alg: jwk.construct(public, alg) for alg in sorted(algorithms) if _fits(public, alg)}
    if not keys:
        raise ValueError("the configured public/private key fits none of the pinned algorithms")
    return keys


def _signer(
    algorithms: frozenset[str], private: PrivateKey | None, hmac_keys: Mapping[str, JoseKey]
) -> tuple[str, JoseKey] | None:
    """Asymmetric signing wins when a private key is configured; the strongest fitting alg is used."""
    if private is not None:
        fitting = [a for a in algorithms if _fits(private.public_key(), a)]
        if not fitting:
            raise ValueError("private_key_pem fits none of the pinned algorithms")
        return max(fitting), jwk.construct(private, max(fitting))
    if hmac_keys:
        alg = max(hmac_keys)
        return alg, hmac_keys[alg]
    return None


def _jose_key_from_jwk(published: Jwk, alg: str) -> JoseKey:
    """A published key, only if it is of the family, curve and size the pinned algorithm demands."""
    if published.get("alg", alg) != alg:
        raise Unauthenticated("the published key is for another algorithm", code="unknown_key")
    if alg in _RSA_ALGS:
        fits = published.get("kty") == "RSA" and _modulus_bits(published) >= _MIN_RSA_BITS
    else:
        fits = published.get("kty") == "EC" and published.get("crv") == _EC_CURVES[alg]
    if not fits:
        raise Unauthenticated("the published key does not fit the token's algorithm", code="unknown_key")
    try:
        return jwk.construct(dict(published), alg)
    except Exception as e:  # python-jose lets KeyError/ValueError out for bad key data, not only JWKError
        raise Unauthenticated("the published key is unusable", code="unknown_key") from e


def _modulus_bits(published: Jwk) -> int:
    n, e = published.get("n"), published.get("e")
    if not isinstance(n, str) or not isinstance(e, str):  # python-jose would default a missing e to 256
        return 0
    try:
        return int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big").bit_length()
    except (binascii.Error, ValueError):
        return 0
