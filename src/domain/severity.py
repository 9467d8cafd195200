"""Severity levels and their normalisation from the spellings shippers use."""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that `min_severity` filters are a comparison; values match OpenTelemetry's ranges' starts."""

    TRACE = 1
    DEBUG = 5
    INFO = 9
    WARN = 13
    ERROR = 17
    FATAL = 21


_ALIASES: dict[str, Severity] = {
    "trace": Severity.TRACE,
    "finest": Severity.TRACE,
    "debug": Severity.DEBUG,
    "dbg": Severity.DEBUG,
    "fine": Severity.DEBUG,
    "finer": Severity.DEBUG,
    "info": Severity.INFO,
    "information": Severity.INFO,
    "informational": Severity.INFO,
    "notice": Severity.INFO,
    "log": Severity.INFO,
    "warn": Severity.WARN,
    "warning": Severity.WARN,
    "wrn": Severity.WARN,
    "error": Severity.ERROR,
    "err": Severity.ERROR,
    "severe": Severity.ERROR,
    "fatal": Severity.FATAL,
    "critical": Severity.FATAL,
    "crit": Severity.FATAL,
    "alert": Severity.FATAL,
    "emerg": Severity.FATAL,
    "emergency": Severity.FATAL,
    "panic": Severity.FATAL,
}


def severity_from_otel_number(number: int) -> Severity:
    """OpenTelemetry SeverityNumber 1-24: four numbers per level (1-4 TRACE … 21-24 FATAL)."""
    if not 1 <= number <= 24:
        raise ValueError(f"severity number {number} is outside OpenTelemetry's 1-24")
    return Severity(((number - 1) // 4) * 4 + 1)


def normalise_severity(value: object) -> Severity:
    """Accept a level name or alias (any case), or an OpenTelemetry severity number."""
    if isinstance(value, bool):
        raise ValueError("severity must be a level name or an OpenTelemetry number")
    if isinstance(value, int):
        return severity_from_otel_number(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return severity_from_otel_number(int(text))
        found = _ALIASES.get(text)
        if found is not None:
            return found
        raise ValueError(f"unknown severity {value!r}; use TRACE, DEBUG, INFO, WARN, ERROR or FATAL")
    raise ValueError("severity must be a level name or an OpenTelemetry number")
