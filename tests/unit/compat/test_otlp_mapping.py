"""OTLP/JSON-shaped export requests, mapped to drafts; and the binary form decoded to that shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from src.adapters.protobuf.otlp import decode_export_request
from src.domain.errors import DomainError, InvalidInput
from src.domain.logs import LogDraft
from src.domain.severity import Severity
from src.usecases.compat.otlp import drafts_from_export

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


def request(*records: dict[str, Any], resource: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": resource
                    if resource is not None
                    else [
                        {"key": "service.name", "value": {"stringValue": "checkout"}},
                        {"key": "host.name", "value": {"stringValue": "node-1"}},
                        {"key": "deployment.environment", "value": {"stringValue": "prod"}},
                    ]
                },
                "scopeLogs": [{"scope": {"name": "my.lib", "version": "2.0"}, "logRecords": list(records)}],
            }
        ]
    }


def only(items: list[LogDraft | DomainError]) -> LogDraft:
    (item,) = items
    assert isinstance(item, LogDraft), item
    return item


def test_a_record_with_resource_scope_attributes_and_ids() -> None:
    draft = only(
        drafts_from_export(
            request(
                {
                    "timeUnixNano": "1714557600123456789",
                    "severityNumber": 17,
                    "severityText": "Error",
                    "body": {"stringValue": "card declined"},
                    "attributes": [
                        {"key": "order.id", "value": {"intValue": "42"}},
                        {"key": "retry", "value": {"boolValue": True}},
                        {"key": "ratio", "value": {"doubleValue": 0.5}},
                        {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
                    ],
                    "traceId": TRACE.upper(),
                    "spanId": SPAN,
                }
            )
        )
    )
    assert draft.message == "card declined"
    assert draft.timestamp == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert draft.severity is Severity.ERROR
    assert (draft.service, draft.host, draft.trace_id, draft.span_id) == ("checkout", "node-1", TRACE, SPAN)
    assert draft.attributes == {
        "order.id": 42,
        "retry": True,
        "ratio": 0.5,
        "tags": ["a"],
        "resource": {"deployment.environment": "prod"},
        "otel.scope.name": "my.lib",
        "otel.scope.version": "2.0",
    }


def test_structured_body_observed_time_severity_text_and_snake_case() -> None:
    body = {"kvlistValue": {"values": [{"key": "event", "value": {"stringValue": "login"}}]}}
    draft = only(
        drafts_from_export(
            request(
                {"observed_time_unix_nano": 1714557600000000000, "severity_text": "warning", "body": body},
                resource=[],
            )
        )
    )
    assert draft.message == '{"event":"login"}'
    assert draft.attributes["body"] == {"event": "login"}
    assert draft.severity is Severity.WARN
    assert draft.timestamp == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert draft.service is None and "resource" not in draft.attributes


def test_defaults_and_unknown_severity_text_kept() -> None:
    draft = only(drafts_from_export(request({"body": {"stringValue": "x"}, "severityText": "chatty"})))
    assert draft.timestamp is None and draft.severity is Severity.INFO
    assert draft.attributes["severity_text"] == "chatty"
    named = only(drafts_from_export(request({"body": {"stringValue": "x"}, "severityNumber": "SEVERITY_NUMBER_WARN2"})))
    assert named.severity is Severity.WARN


def test_bad_records_are_rejected_one_by_one() -> None:
    items = drafts_from_export(
        request(
            {"body": {"stringValue": "ok"}},
            {"severityNumber": 9},
            {"body": {"stringValue": "x"}, "traceId": "not-hex"},
            {"body": {"stringValue": "x"}, "attributes": [{"key": "k", "value": {"intValue": "many"}}]},
            {"body": {"stringValue": "nul\x00"}},
            "not an object",  # type: ignore[arg-type]
        )
    )
    assert isinstance(items[0], LogDraft)
    codes = [getattr(i, "code", None) for i in items[1:]]
    assert codes == ["message_required", "invalid_field", "invalid_event", "invalid_field", "invalid_event"]


def test_empty_and_zero_ids_and_event_name_as_message() -> None:
    draft = only(
        drafts_from_export(request({"eventName": "user.login", "traceId": "0" * 32, "spanId": ""}, resource=[]))
    )
    assert draft.message == "user.login" and draft.attributes["event.name"] == "user.login"
    assert draft.trace_id is None and draft.span_id is None


def test_wrong_structure_refuses_the_request() -> None:
    with pytest.raises(InvalidInput):
        drafts_from_export({"resourceLogs": {"not": "a list"}})
    assert drafts_from_export({}) == []


def test_binary_request_decodes_to_the_json_shape_with_hex_ids() -> None:
    message = ExportLogsServiceRequest()
    resource_logs = message.resource_logs.add()
    resource_logs.resource.attributes.add(key="service.name").value.string_value = "checkout"
    scope_logs = resource_logs.scope_logs.add()
    scope_logs.scope.name = "my.lib"
    record = scope_logs.log_records.add()
    record.time_unix_nano = 1714557600000000000
    record.severity_number = 13
    record.body.string_value = "slow"
    record.trace_id = bytes.fromhex(TRACE)
    record.span_id = bytes.fromhex(SPAN)
    record.attributes.add(key="n").value.int_value = 7
    draft = only(drafts_from_export(decode_export_request(message.SerializeToString())))
    assert (draft.message, draft.severity, draft.trace_id, draft.span_id) == ("slow", Severity.WARN, TRACE, SPAN)
    assert draft.attributes == {"n": 7, "otel.scope.name": "my.lib"}
    with pytest.raises(InvalidInput):
        decode_export_request(b"\xff\xff\xff")
