"""Loki labels ↔ logplane fields. Stream labels are service, host and level; any other label
names an attribute (`{region="eu"}` is attr.region), as `| json` would have extracted it."""

from __future__ import annotations

from src.domain.logs import LogEvent

_FIELDS = {
    "service": "service",
    "service_name": "service",
    "app": "service",
    "job": "service",
    "host": "host",
    "hostname": "host",
    "instance": "host",
    "level": "severity",
    "severity": "severity",
    "detected_level": "severity",
    "user_id": "user_id",
    "action": "action",
    "trace_id": "trace_id",
    "span_id": "span_id",
}
STREAM_LABELS = {"service": "service", "host": "host", "severity": "level"}  # field -> label


def field_of(label: str) -> str:
    return _FIELDS.get(label, f"attr.{label}")


def label_value(field: str, value: object) -> str:
    if field == "severity" and isinstance(value, str):
        return value.lower()
    return "" if value is None else str(value)


def stream_of(event: LogEvent) -> dict[str, str]:
    found = {"service": event.service, "host": event.host, "level": event.severity.name.lower()}
    return {k: v for k, v in found.items() if v}
