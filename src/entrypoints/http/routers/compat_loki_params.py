"""Loki's query parameters: times (ns epoch, s epoch, float seconds, RFC 3339), step, limit, direction."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from src.domain.logql.errors import LogQLError
from src.domain.logql.parser import duration_seconds
from src.domain.relative_time import EARLIEST, LATEST

_DURATION = re.compile(r"(?:\d+(?:ms|s|m|h|d|w|y))+")


def loki_time(value: str | None, default: datetime, name: str) -> datetime:
    if not value:
        return default
    try:
        if "." in value:
            moment = datetime.fromtimestamp(float(value), UTC)
        elif value.lstrip("-").isdigit():
            number = int(value)
            moment = datetime.fromtimestamp(number if len(value) <= 10 else number / 1e9, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError, OSError) as e:
        raise LogQLError(f'invalid parameter "{name}": cannot parse {value[:40]!r} to a valid timestamp') from e
    if not EARLIEST <= moment < LATEST:
        raise LogQLError(f'invalid parameter "{name}": out of range')
    return moment


def window(params: Any) -> tuple[datetime, datetime]:
    end = loki_time(params.get("end"), datetime.now(UTC), "end")
    since = params.get("since")
    default_start = end - (timedelta(seconds=duration_seconds(since)) if since else timedelta(hours=1))
    start = loki_time(params.get("start"), default_start, "start")
    if end < start:
        raise LogQLError("the end timestamp must not be before the start time")
    return start, end


def step_seconds(params: Any, start: datetime, end: datetime) -> int:
    raw = params.get("step")
    if not raw:  # Loki's default: about 250 points
        return max(1, math.ceil((end - start).total_seconds() / 250))
    try:
        seconds = duration_seconds(raw) if _DURATION.fullmatch(raw) else float(raw)
    except ValueError as e:
        raise LogQLError(f'invalid parameter "step": cannot parse {raw[:40]!r}') from e
    if seconds <= 0:
        raise LogQLError("zero or negative query resolution step widths are not accepted. Try a positive integer")
    return max(1, math.ceil(seconds))


def limit(params: Any, default: int = 100) -> int:
    raw = params.get("limit")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise LogQLError('invalid parameter "limit": must be a positive integer')
    return int(raw)


def forward(params: Any) -> bool:
    direction = (params.get("direction") or "backward").lower()
    if direction not in ("forward", "backward"):
        raise LogQLError('invalid parameter "direction": use forward or backward')
    return direction == "forward"
