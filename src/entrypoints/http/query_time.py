"""The one type for times in query parameters: `FromTime`, `ToTime`, `BeforeTime`.

RFC 3339 or relative (`now-1h`, `now-1d/d`), parsed by src.domain.relative_time when the request is
validated; a bad or out-of-range value is a 422 naming the parameter (an InvalidInput raised inside
validation reaches the one domain-error handler as it is).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from src.domain.relative_time import parse_time

_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "description": "RFC 3339 (2024-05-01T12:00:00Z) or relative to now: now, now-15m, now-1h, now-1d/d",
        "examples": ["now-1h", "2024-05-01T12:00:00Z"],
    }
)


def _parser(name: str) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # a default, or a datetime from code: pydantic's own checks apply
        return parse_time(value, now=datetime.now(UTC), field=name)

    return parse


FromTime = Annotated[datetime, BeforeValidator(_parser("from")), _SCHEMA]
ToTime = Annotated[datetime, BeforeValidator(_parser("to")), _SCHEMA]
BeforeTime = Annotated[datetime, BeforeValidator(_parser("before")), _SCHEMA]
SinceTime = Annotated[datetime, BeforeValidator(_parser("new_since")), _SCHEMA]
