"""OTLP logs: an ExportLogsServiceRequest, in its JSON shape, as LogDrafts.

The JSON shape is OTLP/JSON's (lowerCamelCase keys, 64-bit integers as strings, trace and span ids
in hex); proto field names (`time_unix_nano`) are read too, as the proto3 JSON mapping allows.
The protobuf adapter decodes binary requests into the same shape.

Mapping: resource `service.name` → service, `host.name` → host, the other resource attributes →
`attributes.resource`; the scope → `attributes["otel.scope.name"]`/`["otel.scope.version"]`;
severityNumber (else severityText) → severity; a string body → message, any other body → message as
JSON text and the value itself in `attributes.body`; record attributes → attributes;
traceId/spanId → trace_id/span_id (hex); time (else observed time, else receipt) → timestamp.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from src.domain.errors import DomainError, InvalidEvent, InvalidInput
from src.domain.logs import LogDraft
from src.domain.severity import Severity, severity_from_otel_number
from src.usecases.compat.common import from_unix_nanos, lenient_severity, storable

MAX_VALUE_DEPTH = 16
_SNAKE = re.compile(r"([A-Z])")
_snake_names: dict[str, str] = {}
_HEX = frozenset("0123456789abcdef")


def _field(obj: dict[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    snake = _snake_names.get(name)
    if snake is None:
        snake = _snake_names.setdefault(name, _SNAKE.sub(r"_\1", name).lower())
    return obj.get(snake)


def _objects(parent: dict[str, Any], name: str) -> list[dict[str, Any]]:
    items = _field(parent, name)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput(f"{name} must be an array of objects", code="invalid_otlp")
    return items


def any_value(value: Any, depth: int = 0) -> Any:
    """An OTLP AnyValue as a plain value (bytes stay base64 text, as OTLP/JSON writes them)."""
    if depth > MAX_VALUE_DEPTH:
        raise InvalidEvent(f"a value nests deeper than {MAX_VALUE_DEPTH} levels", code="attributes_too_deep")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEvent("an AnyValue must be an object", code="invalid_value")
    if (text := _field(value, "stringValue")) is not None:
        return str(text)
    if (flag := _field(value, "boolValue")) is not None:
        return bool(flag)
    if (number := _field(value, "intValue")) is not None:
        return int(number)
    if (real := _field(value, "doubleValue")) is not None:
        return float(real)
    if (array := _field(value, "arrayValue")) is not None:
        return [any_value(v, depth + 1) for v in _objects(array, "values")]
    if (kvlist := _field(value, "kvlistValue")) is not None:
        return key_values(_objects(kvlist, "values"), depth + 1)
    if (raw := _field(value, "bytesValue")) is not None:
        return str(raw)
    return None


def key_values(pairs: list[dict[str, Any]], depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key = pair.get("key")
        if not isinstance(key, str):
            raise InvalidEvent("an attribute key must be a string", code="invalid_value")
        out[key] = any_value(pair.get("value"), depth)
    return out


def _hex_id(value: Any, digits: int, name: str) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).lower()
    if len(text) != digits or not set(text) <= _HEX:
        raise InvalidEvent(f"{name} must be {digits} hex digits", code="invalid_field", details={"field": name})
    return None if set(text) == {"0"} else text


def _severity(record: dict[str, Any], attributes: dict[str, Any]) -> Severity:
    number = _field(record, "severityNumber")
    if isinstance(number, str) and not number.isdigit():  # the enum's name, as some encoders write it
        number = number.removeprefix("SEVERITY_NUMBER_")
        found = lenient_severity(number.rstrip("0123456789").lower()) if number != "UNSPECIFIED" else None
        if found is not None:
            return found
        number = 0
    if number is not None and 1 <= int(number) <= 24:
        return severity_from_otel_number(int(number))
    text = _field(record, "severityText")
    if text:
        found = lenient_severity(text)
        if found is not None:
            return found
        attributes["severity_text"] = text
    return Severity.INFO


def _message(record: dict[str, Any], attributes: dict[str, Any]) -> str:
    body = any_value(_field(record, "body"))
    if isinstance(body, dict | list):
        attributes["body"] = body
        return orjson.dumps(body).decode()
    if body is not None and body != "":
        return str(body).lower() if isinstance(body, bool) else str(body)
    event_name = _field(record, "eventName")
    if event_name:
        return str(event_name)
    raise InvalidEvent("the log record has no body (nor an event name)", code="message_required")


def _timestamp_nanos(record: dict[str, Any]) -> int:
    for name in ("timeUnixNano", "observedTimeUnixNano"):
        value = _field(record, name)
        if value not in (None, "", 0, "0"):
            return int(value)
    return 0


def _record(record: Any, *, resource: dict[str, Any], scope: dict[str, Any]) -> LogDraft:
    if not isinstance(record, dict):
        raise InvalidEvent("a log record must be an object", code="invalid_event")
    attributes = key_values(_objects(record, "attributes"))
    severity = _severity(record, attributes)
    message = _message(record, attributes)
    event_name = _field(record, "eventName")
    if event_name:
        attributes["event.name"] = str(event_name)
    service = resource.get("service.name")
    host = resource.get("host.name")
    rest = {k: v for k, v in resource.items() if k not in ("service.name", "host.name")}
    if rest:
        attributes["resource"] = rest
    attributes.update(scope)
    nanos = _timestamp_nanos(record)
    return storable(
        LogDraft(
            message=message,
            timestamp=from_unix_nanos(nanos) if nanos else None,
            severity=severity,
            service=str(service) if service is not None else None,
            host=str(host) if host is not None else None,
            trace_id=_hex_id(_field(record, "traceId"), 32, "traceId"),
            span_id=_hex_id(_field(record, "spanId"), 16, "spanId"),
            attributes=attributes,
        )
    )


def _scope_attributes(scope_logs: dict[str, Any]) -> dict[str, Any]:
    scope = _field(scope_logs, "scope") or {}
    if not isinstance(scope, dict):
        raise InvalidEvent("scope must be an object", code="invalid_value")
    out: dict[str, Any] = {}
    if scope.get("name"):
        out["otel.scope.name"] = str(scope["name"])
    if scope.get("version"):
        out["otel.scope.version"] = str(scope["version"])
    attributes = key_values(_objects(scope, "attributes"))
    if attributes:
        out["otel.scope.attributes"] = attributes
    return out


def drafts_from_export(request: dict[str, Any]) -> list[LogDraft | DomainError]:
    """One item per log record, in order; a record that cannot be an event is its error.

    Raises InvalidInput when the request's structure itself is wrong (not arrays where OTLP has them)."""
    items: list[LogDraft | DomainError] = []
    for resource_logs in _objects(request, "resourceLogs"):
        resource_obj = _field(resource_logs, "resource") or {}
        for scope_logs in _objects(resource_logs, "scopeLogs"):
            records = _field(scope_logs, "logRecords") or []
            if not isinstance(records, list):
                raise InvalidInput("logRecords must be an array", code="invalid_otlp")
            try:
                if not isinstance(resource_obj, dict):
                    raise InvalidEvent("resource must be an object", code="invalid_value")
                resource = key_values(_objects(resource_obj, "attributes"))
                scope = _scope_attributes(scope_logs)
            except (DomainError, ValueError, TypeError) as e:
                error = e if isinstance(e, DomainError) else InvalidEvent(f"invalid resource or scope: {e}")
                items.extend(error for _ in records)
                continue
            for record in records:
                try:
                    items.append(_record(record, resource=resource, scope=scope))
                except DomainError as e:
                    items.append(e)
                except (ValueError, TypeError, OverflowError) as e:
                    items.append(InvalidEvent(f"invalid log record: {e}", code="invalid_event"))
    return items
