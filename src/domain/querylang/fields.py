"""The fields a query may name, and how a value written in a query becomes a typed value for one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import Enum

from src.domain.errors import InvalidInput
from src.domain.relative_time import EARLIEST, LATEST, parse_time
from src.domain.severity import normalise_severity


class Kind(Enum):
    TEXT = "text"  # message: full text
    KEYWORD = "keyword"  # exact strings
    SEVERITY = "severity"  # ordered levels, compared by number
    TIME = "time"
    ATTRIBUTE = "attribute"  # attr.<key>: string or number, whichever the value looks like


TOP_LEVEL: dict[str, Kind] = {
    "message": Kind.TEXT,
    "timestamp": Kind.TIME,
    "severity": Kind.SEVERITY,
    "service": Kind.KEYWORD,
    "host": Kind.KEYWORD,
    "user_id": Kind.KEYWORD,
    "action": Kind.KEYWORD,
    "trace_id": Kind.KEYWORD,
    "span_id": Kind.KEYWORD,
    "id": Kind.KEYWORD,
    "pattern_id": Kind.KEYWORD,
}

_ATTR = re.compile(r"attr\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_EPOCH = re.compile(r"\d{1,13}")


def kind_of(name: str) -> Kind | None:
    if name in TOP_LEVEL:
        return TOP_LEVEL[name]
    if _ATTR.fullmatch(name):
        return Kind.ATTRIBUTE
    return None


def known_fields_hint() -> str:
    return ", ".join(TOP_LEVEL) + " or attr.<key>"


def as_number(text: str) -> float | None:
    return float(text) if _NUMBER.fullmatch(text) else None


def parse_query_time(text: str, *, now: datetime) -> datetime:
    """RFC 3339, now-15m style, or epoch seconds (≤ 10 digits) / milliseconds (11-13 digits)."""
    if _EPOCH.fullmatch(text):
        seconds = int(text) / (1000 if len(text) > 10 else 1)
        moment = datetime.fromtimestamp(seconds, UTC)
        if not EARLIEST <= moment < LATEST:
            raise ValueError("out of range")
        return moment
    try:
        return parse_time(text, now=now, field="q")
    except InvalidInput as e:
        raise ValueError(e.message) from e


def typed_value(name: str, kind: Kind, text: str, *, now: datetime, ordered: bool) -> str | float | int | datetime:
    """`ordered`: the value is compared (>, range), so attributes that look numeric compare as numbers."""
    if kind is Kind.SEVERITY:
        return int(normalise_severity(text))
    if kind is Kind.TIME:
        return parse_query_time(text, now=now)
    if kind is Kind.ATTRIBUTE and ordered:
        number = as_number(text)
        return number if number is not None else text
    return text
