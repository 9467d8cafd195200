"""Channel secrets encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`).

Several keys may be configured: the first encrypts, every one decrypts (MultiFernet), so a key is
rotated by putting the new one first and dropping the old one once secrets were saved again."""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from src.domain.errors import InvalidInput
from src.domain.ports.secret_cipher import SecretCipher


def new_key() -> str:
    return Fernet.generate_key().decode()


def check_key(key: str) -> None:
    """ValueError unless `key` is a Fernet key (32 url-safe base64-encoded bytes) worth the name."""
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (ValueError, binascii.Error) as e:
        raise ValueError("not a Fernet key (32 url-safe base64-encoded bytes)") from e
    if len(raw) != 32:
        raise ValueError("not a Fernet key (32 url-safe base64-encoded bytes)")
    if len(set(raw)) < 8:  # all zeros, one repeated byte: a sample, not a key
        raise ValueError("the key has too little entropy to be a real key")


class FernetSecretCipher(SecretCipher):
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def ephemeral(cls) -> FernetSecretCipher:
        """Dev without a key: secrets work in this process only."""
        return cls([new_key()])

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken:
            raise InvalidInput(
                "the channel's secret cannot be decrypted with the configured keys (LOGPLANE_ALERTS_SECRET_KEY); "
                "save the channel's secret again",
                code="secret_undecryptable",
            ) from None
