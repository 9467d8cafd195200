"""Port: encryption of channel secrets at rest (authenticated: a tampered ciphertext does not decrypt)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class SecretCipher(Protocol):
    @abstractmethod
    def encrypt(self, plaintext: str) -> bytes: ...

    @abstractmethod
    def decrypt(self, ciphertext: bytes) -> str:
        """InvalidInput (`secret_undecryptable`) when no configured key opens it."""
