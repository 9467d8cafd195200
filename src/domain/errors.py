"""Domain errors: one base, subclasses by meaning.

    DomainError(message, code, details)
     ├── InvalidInput            422  bad field values, malformed bodies
     │    └── InvalidEvent       422  one log event failed validation
     ├── Unauthenticated         401  missing, bad, expired or revoked credential
     ├── Forbidden               403  valid credential without the needed scope
     ├── NotFound                404
     ├── Conflict                409  e.g. an Idempotency-Key reused with another body
     ├── PayloadTooLarge         413  body, event or batch over its limit
     ├── UnsupportedMediaType    415
     ├── RateLimited             429  carries retry_after seconds
     └── DependencyUnavailable   503  a backing service is down

The HTTP edge maps these to status codes in one place (`src/entrypoints/http/errors.py`).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidEvent(InvalidInput):
    code = "invalid_event"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after


class DependencyUnavailable(DomainError):
    code = "dependency_unavailable"
