"""The one JSON encoding of everything logplane emits: timestamps are RFC 3339 in UTC with `Z`.

orjson writes `+00:00` for UTC unless told otherwise, and pydantic writes `Z`; clients comparing
strings or parsing strictly saw both. Every emitter (HTTP bodies, stream frames, task payloads) goes
through here. Datetimes must be UTC (timezone.utc) or naive UTC: times taken from requests are
normalised where they are parsed (`src.domain.relative_time`), PostgreSQL returns UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def to_json(value: Any) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)


def rfc3339(moment: datetime) -> str:
    """A timestamp as stored in task payloads and shown to tenants: UTC, `Z`, microseconds if any."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
