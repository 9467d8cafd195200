"""JoseTokenCodec verifying RS256/ES256 tokens through a JWKS served by a real local HTTP server."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.adapters.auth.jwks import JwksKeySet, JwksUnavailable
from src.domain.credentials import Scope, TokenClaims
from src.domain.errors import Unauthenticated

pytestmark = pytest.mark.integration

ISS, AUD = "https://idp.logplane.test", "logplane-api"
TID = UUID("0190f3c4-0000-7000-8000-0000000000aa")


class JwksServer:
    """Serves whatever `document` holds (or `status`/`body` when set) and counts the requests."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.status = 200
        self.body: bytes | None = None
        self.requests = 0
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                state.requests += 1
                body = state.body if state.body is not None else json.dumps(state.document).encode()
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_key_2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _b64int(value: int, size: int | None = None) -> str:
    raw = value.to_bytes(size or (value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    """Written out from the key numbers, independently of the library under test."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": kid,
            "use": "sig",
            "alg": "RS256",
            "n": _b64int(numbers.n),
            "e": _b64int(numbers.e),
        }
    point = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "kid": kid,
        "use": "sig",
        "crv": "P-256",
        "x": _b64int(point.x, 32),
        "y": _b64int(point.y, 32),
    }


def _issue(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str | None, *, scope: str = "read") -> str:
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    issuer = JoseTokenCodec(issuer=ISS, audience=AUD, algorithms=(alg,), private_key_pem=pem, key_id=kid)
    now = int(time.time())
    claims = TokenClaims(
        sub="svc-1", tid=TID, scope=frozenset({Scope(scope)}), iat=now, exp=now + 300, iss=ISS, aud=AUD
    )
    return issuer.issue(claims)


def _verifier(url: str, **overrides: Any) -> JoseTokenCodec:
    config: dict[str, Any] = {
        "issuer": ISS,
        "audience": AUD,
        "algorithms": ("RS256", "ES256"),
        "jwks_url": url,
        "jwks_min_refetch_seconds": 0.0,
    }
    return JoseTokenCodec(**(config | overrides))


async def _refusal(codec: JoseTokenCodec, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await codec.verify(token)
    return caught.value.code


async def test_rs256_and_es256_verify_through_jwks(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "rsa-1"), _jwk(ec_key, "ec-1")]}
    codec = _verifier(jwks_server.url)
    rs = await codec.verify(_issue(rsa_key, "rsa-1", scope="ingest"))
    es = await codec.verify(_issue(ec_key, "ec-1", scope="admin"))
    assert (rs.tid, rs.scope, es.scope) == (TID, frozenset({Scope.INGEST}), frozenset({Scope.ADMIN}))
    assert jwks_server.requests == 1  # the second token was checked against the cached set


async def test_rotation_new_kid_is_picked_up_by_a_refetch(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, rsa_key_2: rsa.RSAPrivateKey
) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "2024-01")]}
    codec = _verifier(jwks_server.url)
    await codec.verify(_issue(rsa_key, "2024-01"))
    jwks_server.document = {"keys": [_jwk(rsa_key, "2024-01"), _jwk(rsa_key_2, "2024-02")]}
    assert (await codec.verify(_issue(rsa_key_2, "2024-02"))).sub == "svc-1"
    assert jwks_server.requests == 2


async def test_unknown_kid_after_refetch_is_refused(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, rsa_key_2: rsa.RSAPrivateKey
) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "k1")]}
    codec = _verifier(jwks_server.url)
    await codec.verify(_issue(rsa_key, "k1"))
    assert await _refusal(codec, _issue(rsa_key_2, "k-ghost")) == "unknown_key"
    assert jwks_server.requests == 2  # it did look again before refusing


async def test_unknown_kids_do_not_hammer_the_endpoint(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, rsa_key_2: rsa.RSAPrivateKey
) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "k1")]}
    codec = _verifier(jwks_server.url, jwks_min_refetch_seconds=60.0)
    await codec.verify(_issue(rsa_key, "k1"))
    for i in range(10):
        assert await _refusal(codec, _issue(rsa_key_2, f"made-up-{i}")) == "unknown_key"
    assert jwks_server.requests == 1


async def test_concurrent_verifies_share_one_fetch(jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "k1")]}
    codec = _verifier(jwks_server.url)
    token = _issue(rsa_key, "k1")
    results = await asyncio.gather(*(codec.verify(token) for _ in range(10)))
    assert {r.sub for r in results} == {"svc-1"}
    assert jwks_server.requests == 1  # the other nine waited for the first fetch instead of piling on


async def test_endpoint_down_is_unauthenticated(rsa_key: rsa.RSAPrivateKey) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    codec = _verifier(f"http://127.0.0.1:{port}/jwks.json")
    assert await _refusal(codec, _issue(rsa_key, "k1")) == "jwks_unavailable"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"oops"),
        (200, b"<html>not json</html>"),
        (200, b'{"no": "keys"}'),
        (302, b""),
        (200, b"[" * 70_000),
    ],
)
async def test_bad_jwks_answers_are_unauthenticated(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, status: int, body: bytes
) -> None:
    jwks_server.status, jwks_server.body = status, body
    assert await _refusal(_verifier(jwks_server.url), _issue(rsa_key, "k1")) == "jwks_unavailable"


async def test_published_key_must_fit_the_token_algorithm(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    mislabelled = _jwk(rsa_key, "k-alg") | {"alg": "RS512"}
    private_leak = _jwk(ec_key, "k-private") | {"d": _b64int(ec_key.private_numbers().private_value, 32)}
    jwks_server.document = {"keys": [_jwk(ec_key, "k-ec"), mislabelled, private_leak]}
    codec = _verifier(jwks_server.url)
    assert await _refusal(codec, _issue(rsa_key, "k-ec")) == "unknown_key"  # RS256 token, EC key
    assert await _refusal(codec, _issue(rsa_key, "k-alg")) == "unknown_key"  # key pinned to RS512
    assert await _refusal(codec, _issue(ec_key, "k-private")) == "unknown_key"  # entry skipped


async def test_token_signed_by_another_key_under_a_known_kid_is_refused(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey, rsa_key_2: rsa.RSAPrivateKey
) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "k1")]}
    assert await _refusal(_verifier(jwks_server.url), _issue(rsa_key_2, "k1")) == "invalid_token"


async def test_token_without_kid_is_refused_when_only_jwks_is_configured(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "k1")]}
    assert await _refusal(_verifier(jwks_server.url), _issue(rsa_key, None)) == "unknown_key"
    assert jwks_server.requests == 0


async def test_stale_keys_bridge_a_short_outage_only(jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey) -> None:
    jwks_server.document = {"keys": [_jwk(rsa_key, "k1")]}
    now = [0.0]
    keys = JwksKeySet(url=jwks_server.url, ttl_seconds=300, max_stale_seconds=600, clock=lambda: now[0])
    assert await keys.find("k1") is not None
    jwks_server.status = 503
    now[0] = 400.0  # past the TTL: the refetch fails, the cached set still serves
    assert await keys.find("k1") is not None
    assert jwks_server.requests == 2
    now[0] = 901.0  # past TTL + max stale: a withdrawn key must not live on
    with pytest.raises(JwksUnavailable):
        await keys.find("k1")


def test_jwks_url_must_be_https_unless_loopback() -> None:
    with pytest.raises(ValueError, match="https"):
        JwksKeySet(url="http://idp.example.com/jwks.json")
    JwksKeySet(url="https://idp.example.com/jwks.json")
    JwksKeySet(url="http://localhost:8080/jwks.json")


async def test_a_jwks_issuers_token_stands_for_no_key_and_lives_until_it_expires(
    jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    """External tokens keep their semantics: no key of ours to revoke; only expiry and suspension."""
    from src.domain.tenants import Tenant, TenantStatus
    from src.usecases.auth_cache import KeyCache, TtlCache
    from src.usecases.authenticate import Authenticate, AuthenticateRequest
    from tests.fakes import FakeUnitOfWorkFactory

    jwks_server.document = {"keys": [_jwk(rsa_key, "2024-01")]}
    uow = FakeUnitOfWorkFactory()
    uow.store.tenants[TID] = Tenant(id=TID, name="idp", status=TenantStatus.ACTIVE, retention_days=30)
    keys: KeyCache = TtlCache(ttl=60)
    tenants: TtlCache[UUID, Tenant | None] = TtlCache(ttl=60)
    principal = await Authenticate(uow, _verifier(jwks_server.url), keys=keys, tenants=tenants).execute(
        AuthenticateRequest(credential=_issue(rsa_key, "2024-01"))
    )
    assert principal.key_id is None and principal.tenant_id == TID and principal.via == "jwt"
    assert principal.expires_at is not None and principal.expires_at > time.time()
