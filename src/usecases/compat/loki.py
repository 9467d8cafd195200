"""Loki push: streams of labelled lines as LogDrafts.

A stream's labels come as an object (JSON push) or as Loki's label text `{job="api", host="h1"}`
(protobuf push). Every entry keeps all its stream's labels in `attributes.labels` and its structured
metadata in `attributes.structured_metadata`; some labels also fill the event's own fields:
service_name/service/job/app/application → service, host/hostname/instance → host,
level/severity/detected_level (labels, then structured metadata) → severity,
and trace_id/span_id from structured metadata.
"""

from __future__ import annotations

import re
from typing import Any

from src.domain.errors import DomainError, InvalidEvent, InvalidInput
from src.domain.logs import LogDraft
from src.domain.severity import Severity
from src.usecases.compat.common import from_unix_nanos, lenient_severity, storable

# `application` is the tag python-logging-loki users usually set.
SERVICE_LABELS = ("service_name", "service", "job", "app", "application")
HOST_LABELS = ("host", "hostname", "instance")
LEVEL_LABELS = ("level", "severity", "detected_level")

_PAIR = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def parse_labels(text: str) -> dict[str, str]:
    """Loki's label text (Prometheus' form): `{name="value", …}` with Go-style escapes."""
    inner = text.strip()
    if not (inner.startswith("{") and inner.endswith("}")):
        raise InvalidEvent(f'error parsing labels {text[:200]!r}: expected {{name="value", …}}', code="invalid_labels")
    inner = inner[1:-1].strip()
    labels: dict[str, str] = {}
    position = 0
    while position < len(inner):
        match = _PAIR.match(inner, position)
        if match is None:
            raise InvalidEvent(f"error parsing labels {text[:200]!r}", code="invalid_labels")
        labels[match.group(1)] = _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), match.group(2))
        position = match.end()
    return labels


def _string_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidEvent(f"{what} must be an object of string values", code="invalid_labels")
    return value


def _first(names: tuple[str, ...], *sources: dict[str, str]) -> str | None:
    for source in sources:
        for name in names:
            if source.get(name):
                return source[name]
    return None


def _severity(labels: dict[str, str], metadata: dict[str, str]) -> Severity:
    for source in (labels, metadata):
        for name in LEVEL_LABELS:
            if name in source and (found := lenient_severity(source[name])) is not None:
                return found
    return Severity.INFO


def _entry(entry: Any, labels: dict[str, str]) -> LogDraft:
    if not isinstance(entry, list | tuple) or len(entry) not in (2, 3):
        raise InvalidEvent(
            'an entry is ["<unix ns>", "<line>"] or with structured metadata third', code="invalid_entry"
        )
    raw_ts, line = entry[0], entry[1]
    metadata = _string_map(entry[2] if len(entry) == 3 else None, "structured metadata")
    if not isinstance(line, str):
        raise InvalidEvent("a log line must be a string", code="invalid_entry")
    digits = str(raw_ts).strip()
    # 20 digits reach past year 5000; longer strings are refused before int() has to read them.
    if (
        isinstance(raw_ts, bool)
        or not isinstance(raw_ts, str | int)
        or not (digits.isascii() and digits.isdigit())
        or len(digits) > 20
    ):
        raise InvalidEvent("a timestamp must be nanoseconds since the epoch, as a string", code="invalid_timestamp")
    nanos = int(digits)
    attributes: dict[str, Any] = {"labels": labels}
    if metadata:
        attributes["structured_metadata"] = metadata
    return storable(
        LogDraft(
            message=line,
            timestamp=from_unix_nanos(nanos) if nanos else None,
            severity=_severity(labels, metadata),
            service=_first(SERVICE_LABELS, labels),
            host=_first(HOST_LABELS, labels),
            trace_id=metadata.get("trace_id") or None,
            span_id=metadata.get("span_id") or None,
            attributes=attributes,
        )
    )


def drafts_from_push(push: dict[str, Any]) -> list[tuple[str, LogDraft | DomainError]]:
    """(the stream's label text, the entry's draft or error) for every entry, in order.

    A stream is `{"stream": {labels}, "values": [[ns, line, {metadata}?]…]}` or, decoded from
    protobuf, `{"labels": "<label text>", "values": …}`. Raises InvalidInput for a wrong structure."""
    streams = push.get("streams")
    if streams is None:
        return []
    if not isinstance(streams, list) or not all(isinstance(s, dict) for s in streams):
        raise InvalidInput("streams must be an array of objects", code="invalid_push")
    items: list[tuple[str, LogDraft | DomainError]] = []
    for stream in streams:
        values = stream.get("values", stream.get("entries")) or []
        if not isinstance(values, list):
            raise InvalidInput("values must be an array", code="invalid_push")
        text = stream.get("labels")
        try:
            labels = parse_labels(text) if isinstance(text, str) else _string_map(stream.get("stream"), "stream")
        except DomainError as e:
            items.extend((str(text or stream.get("stream")), e) for _ in values)
            continue
        name = text if isinstance(text, str) else "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
        for entry in values:
            try:
                items.append((name, _entry(entry, labels)))
            except DomainError as e:
                items.append((name, e))
    return items
