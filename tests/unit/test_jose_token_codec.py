"""JoseTokenCodec against forged and malformed tokens.

Hostile tokens are built by hand (base64url + hmac) rather than with python-jose, so the attacks do not
depend on what the library under test is willing to produce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pathlib
import re
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.domain.credentials import ALL_SCOPES, Scope, TokenClaims
from src.domain.errors import Unauthenticated

NOW = 1_700_000_000
SECRET = "s" * 16 + "0123456789abcdef"  # 32 bytes, the minimum for HS256
ISS, AUD = "https://auth.logplane.test", "logplane-api"
TID = UUID("0190f3c4-0000-7000-8000-000000000001")


def _codec(**overrides: Any) -> JoseTokenCodec:
    config: dict[str, Any] = {"issuer": ISS, "audience": AUD, "secret": SECRET, "clock": lambda: NOW}
    return JoseTokenCodec(**(config | overrides))


def _claims(**overrides: Any) -> TokenClaims:
    values: dict[str, Any] = {
        "sub": "user-1",
        "tid": TID,
        "scope": frozenset({Scope.READ, Scope.INGEST}),
        "iat": NOW,
        "exp": NOW + 600,
        "iss": ISS,
        "aud": AUD,
    }
    return TokenClaims(**(values | overrides))


def _payload(**overrides: Any) -> dict[str, Any]:
    values = {"sub": "user-1", "tid": str(TID), "scope": "read", "iat": NOW, "exp": NOW + 600}
    return values | {"iss": ISS, "aud": AUD} | overrides


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: object) -> str:
    return _b64(json.dumps(obj).encode())


def _hmac_token(payload: object, key: bytes, *, alg: str = "HS256", header: dict[str, Any] | None = None) -> str:
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = f"{_segment({'alg': alg, 'typ': 'JWT'} | (header or {}))}.{_segment(payload)}"
    return f"{signing_input}.{_b64(hmac.new(key, signing_input.encode(), digest).digest())}"


async def _refusal(codec: JoseTokenCodec, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await codec.verify(token)
    return caught.value.code


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def test_hs256_round_trip() -> None:
    codec = _codec()
    claims = _claims(scope=ALL_SCOPES)
    token = codec.issue(claims)
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==")).get("scope") == "admin ingest read"
    assert await codec.verify(token) == claims


async def test_token_without_the_codec_is_verified_too() -> None:
    # What another HS256 issuer sharing the secret would produce, aud as a list included.
    token = _hmac_token(_payload(aud=["other", AUD]), SECRET.encode())
    verified = await _codec().verify(token)
    assert (verified.tid, verified.scope, verified.aud) == (TID, frozenset({Scope.READ}), AUD)


async def test_expired_token_is_refused() -> None:
    token = _codec().issue(_claims(iat=NOW - 700, exp=NOW - 100))
    assert await _refusal(_codec(), token) == "token_expired"


@pytest.mark.parametrize(("expired_for", "accepted"), [(10, True), (29, True), (30, False), (31, False)])
async def test_leeway_is_honoured(expired_for: int, accepted: bool) -> None:
    token = _codec().issue(_claims(iat=NOW - 600, exp=NOW - expired_for))
    codec = _codec(leeway_seconds=30)
    if accepted:
        assert (await codec.verify(token)).exp == NOW - expired_for
    else:
        assert await _refusal(codec, token) == "token_expired"


@pytest.mark.parametrize(("ahead", "accepted"), [(20, True), (31, False)])
async def test_iat_in_the_future_beyond_leeway_is_refused(ahead: int, accepted: bool) -> None:
    token = _codec().issue(_claims(iat=NOW + ahead, exp=NOW + ahead + 60))
    if accepted:
        await _codec().verify(token)
    else:
        assert await _refusal(_codec(), token) == "token_not_yet_valid"


async def test_nbf_in_the_future_is_refused() -> None:
    token = _hmac_token(_payload(nbf=NOW + 120), SECRET.encode())
    assert await _refusal(_codec(), token) == "token_not_yet_valid"


async def test_wrong_issuer_is_refused() -> None:
    token = _codec().issue(_claims(iss="https://evil.test"))
    assert await _refusal(_codec(), token) == "invalid_issuer"


@pytest.mark.parametrize("aud", ["another-api", ["another-api"], None, 42])
async def test_wrong_audience_is_refused(aud: object) -> None:
    token = _hmac_token(_payload(aud=aud), SECRET.encode())
    assert await _refusal(_codec(), token) == "invalid_audience"


async def test_tampered_signature_is_refused() -> None:
    header, payload, signature = _codec().issue(_claims()).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert await _refusal(_codec(), f"{header}.{payload}.{flipped}") == "invalid_token"


async def test_tampered_payload_is_refused() -> None:
    header, _, signature = _codec().issue(_claims()).split(".")
    forged = _segment(_payload(scope="admin"))
    assert await _refusal(_codec(), f"{header}.{forged}.{signature}") == "invalid_token"


async def test_token_signed_with_another_secret_is_refused() -> None:
    token = _hmac_token(_payload(), b"another secret of thirty-two bytes!")
    assert await _refusal(_codec(), token) == "invalid_token"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
async def test_unsigned_token_is_refused(alg: str, signature: str) -> None:
    token = f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(_payload(scope='admin'))}.{signature}"
    assert await _refusal(_codec(), token) == "algorithm_not_allowed"


@pytest.mark.parametrize("header", [{"typ": "JWT"}, {"alg": ["HS256"]}, {"alg": None}, {"alg": "hs256"}])
async def test_missing_or_odd_alg_is_refused(header: dict[str, Any]) -> None:
    token = f"{_segment(header)}.{_segment(_payload())}.{_b64(b'x' * 32)}"
    assert await _refusal(_codec(), token) == "algorithm_not_allowed"


async def test_public_key_used_as_hmac_secret_is_refused(rsa_private: rsa.RSAPrivateKey) -> None:
    """The classic confusion attack: HS256 keyed with the RSA public key the verifier trusts."""
    public_pem = _public_pem(rsa_private)
    token = _hmac_token(_payload(scope="admin"), public_pem.encode())
    rs_only = _codec(algorithms=("RS256",), secret=None, public_key_pem=public_pem)
    assert await _refusal(rs_only, token) == "algorithm_not_allowed"
    # With HS256 pinned as well, HS tokens are checked with the secret only, never with the public key.
    both = _codec(algorithms=("HS256", "RS256"), public_key_pem=public_pem)
    assert await _refusal(both, token) == "invalid_token"


async def test_alg_not_pinned_is_refused_even_if_the_signature_is_good() -> None:
    secret = SECRET * 2  # long enough for HS512, so only the pinning can refuse it
    token = _hmac_token(_payload(), secret.encode(), alg="HS512")
    assert await _refusal(_codec(secret=secret, algorithms=("HS256",)), token) == "algorithm_not_allowed"
    assert (await _codec(secret=secret, algorithms=("HS256", "HS512")).verify(token)).sub == "user-1"


async def test_oversize_token_is_refused_before_parsing() -> None:
    assert await _refusal(_codec(), "x" * 8193) == "token_too_large"
    big = _codec(max_token_bytes=100_000).issue(_claims(sub="u" * 9000))
    assert await _refusal(_codec(), big) == "token_too_large"
    assert (await _codec(max_token_bytes=100_000).verify(big)).sub == "u" * 9000


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d.e",
        "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln",
        "eyJ+.e30.c2ln",
        "é.b.c",
        "bm90IGpzb24.e30.c2ln",
    ],
)
async def test_malformed_token_is_refused(token: str) -> None:
    assert await _refusal(_codec(), token) == "invalid_token"


async def test_payload_that_is_not_an_object_is_refused() -> None:
    assert await _refusal(_codec(), _hmac_token(["not", "an", "object"], SECRET.encode())) == "invalid_token"


async def test_critical_header_extensions_are_refused() -> None:
    token = _hmac_token(_payload(), SECRET.encode(), header={"crit": ["exp"]})
    assert await _refusal(_codec(), token) == "invalid_token"


@pytest.mark.parametrize("claim", ["sub", "tid", "scope", "iat", "exp", "iss", "aud"])
async def test_missing_claim_is_refused(claim: str) -> None:
    payload = _payload()
    del payload[claim]
    assert await _refusal(_codec(), _hmac_token(payload, SECRET.encode())) == "missing_claim"


@pytest.mark.parametrize(
    "overrides",
    [
        {"tid": "not-a-uuid"},
        {"tid": 12},
        {"scope": "read superuser"},
        {"scope": ["read"]},
        {"sub": ""},
        {"scope": ""},
        {"exp": str(NOW + 600)},
        {"iat": True},
        {"iat": NOW, "exp": NOW},
    ],
)
async def test_invalid_claim_is_refused(overrides: dict[str, Any]) -> None:
    token = _hmac_token(_payload(**overrides), SECRET.encode())
    assert await _refusal(_codec(), token) == "invalid_claim"


async def test_overlong_lifetime_is_refused() -> None:
    token = _hmac_token(_payload(exp=NOW + 86_401), SECRET.encode())
    assert await _refusal(_codec(), token) == "token_lifetime_too_long"
    with pytest.raises(ValueError, match="within"):
        _codec().issue(_claims(exp=NOW + 86_401))


def test_issue_refuses_claims_verify_would_refuse() -> None:
    with pytest.raises(ValueError, match="within"):
        _codec().issue(_claims(exp=NOW))
    with pytest.raises(ValueError, match="scope"):
        _codec().issue(_claims(scope=frozenset()))


async def test_rs256_and_es256_with_static_keys(rsa_private: rsa.RSAPrivateKey) -> None:
    ec_private = ec.generate_private_key(ec.SECP256R1())
    for alg, private in (("RS256", rsa_private), ("ES256", ec_private)):
        issuer = _codec(algorithms=(alg,), secret=None, private_key_pem=_private_pem(private))
        verifier = _codec(algorithms=(alg,), secret=None, public_key_pem=_public_pem(private))
        token = issuer.issue(_claims())
        assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == alg
        assert await verifier.verify(token) == _claims()
        assert await issuer.verify(token) == _claims()


async def test_verify_only_codec_cannot_issue(rsa_private: rsa.RSAPrivateKey) -> None:
    codec = _codec(algorithms=("RS256",), secret=None, public_key_pem=_public_pem(rsa_private))
    with pytest.raises(RuntimeError):
        codec.issue(_claims())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"secret": "too-short-secret"}, "at least 32 bytes"),
        ({"secret": SECRET, "algorithms": ("HS512",)}, "at least 64 bytes"),
        ({"secret": None}, "no secret"),
        ({"algorithms": ("none",)}, "'none'"),
        ({"algorithms": ("HS256", "NONE")}, "'none'"),
        ({"algorithms": ()}, "at least one"),
        ({"algorithms": "HS256"}, "single string"),
        ({"algorithms": ("PS256",)}, "unsupported"),
        ({"leeway_seconds": 301}, "leeway"),
        ({"leeway_seconds": -1}, "leeway"),
        ({"max_lifetime_seconds": 0}, "positive"),
        ({"issuer": ""}, "issuer"),
        ({"algorithms": ("RS256",), "secret": None}, "no key"),
        ({"jwks_url": "http://keys.example.com/jwks.json", "algorithms": ("RS256",)}, "https"),
    ],
)
def test_construction_refuses_unsafe_config(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _codec(**overrides)


def test_construction_refuses_a_key_as_hmac_secret(rsa_private: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="looks like"):
        _codec(secret=_public_pem(rsa_private))
    with pytest.raises(ValueError, match="looks like"):
        _codec(secret="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host")


def test_construction_refuses_keys_that_fit_no_pinned_algorithm(rsa_private: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="fits none"):
        _codec(algorithms=("ES256",), secret=None, public_key_pem=_public_pem(rsa_private))
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError, match="fits none"):
        _codec(algorithms=("ES256",), secret=None, public_key_pem=_public_pem(p384))
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        _codec(algorithms=("RS256",), secret=None, public_key_pem=_public_pem(small))


def test_construction_refuses_mismatched_key_pair(rsa_private: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValueError, match="not a key pair"):
        _codec(
            algorithms=("RS256",),
            secret=None,
            private_key_pem=_private_pem(rsa_private),
            public_key_pem=_public_pem(other),
        )


def test_error_messages_do_not_quote_key_material(rsa_private: rsa.RSAPrivateKey) -> None:
    broken = _private_pem(rsa_private)[:200]
    with pytest.raises(ValueError) as caught:
        _codec(algorithms=("RS256",), secret=None, private_key_pem=broken)
    assert "BEGIN" not in str(caught.value) and caught.value.__cause__ is None


def test_python_jose_stays_inside_the_auth_adapter() -> None:
    src = pathlib.Path(__file__).resolve().parents[2] / "src"
    jose_import = re.compile(r"^\s*(from|import)\s+jose\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if jose_import.search(path.read_text()) and path.parent != src / "adapters" / "auth"
    ]
    assert offenders == []


async def test_the_key_id_claim_round_trips() -> None:
    key_id = UUID("0190f3c4-0000-7000-8000-0000000000aa")
    codec = _codec()
    assert (await codec.verify(codec.issue(_claims(key_id=key_id)))).key_id == key_id
    assert (await codec.verify(codec.issue(_claims()))).key_id is None


@pytest.mark.parametrize("key_id", ["not-a-uuid", 5, ""])
async def test_a_malformed_key_id_claim_is_refused(key_id: object) -> None:
    token = _hmac_token(_payload(key_id=key_id), SECRET.encode())
    assert await _refusal(_codec(), token) == "invalid_claim"
