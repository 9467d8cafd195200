"""OTLP/HTTP logs on the wire: ExportLogsServiceRequest in, ExportLogsServiceResponse or a
`google.rpc.Status` out, in binary protobuf or OTLP/JSON."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from src.adapters.protobuf.descriptors import Field, FieldType, build_messages
from src.domain.errors import InvalidInput

# google.rpc.Status without its `details` (repeated Any), which we never send.
Status = build_messages(
    file_name="logplane/google/rpc/status.proto",
    package="google.rpc",
    messages={"Status": [Field("code", 1, FieldType.TYPE_INT32), Field("message", 2, FieldType.TYPE_STRING)]},
)["Status"]


def _hex(encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).hex()
    except (binascii.Error, ValueError):
        return encoded


def decode_export_request(body: bytes) -> dict[str, Any]:
    """A binary ExportLogsServiceRequest as its OTLP/JSON shape (ids in hex, as OTLP/JSON has them)."""
    message = ExportLogsServiceRequest()
    try:
        message.ParseFromString(body)
    except DecodeError as e:
        raise InvalidInput("the body is not a valid OTLP ExportLogsServiceRequest", code="invalid_protobuf") from e
    data: dict[str, Any] = json_format.MessageToDict(message, use_integers_for_enums=True)
    for resource_logs in data.get("resourceLogs", ()):
        for scope_logs in resource_logs.get("scopeLogs", ()):
            for record in scope_logs.get("logRecords", ()):
                # The proto3 JSON mapping writes bytes in base64; OTLP/JSON writes these two in hex.
                for name in ("traceId", "spanId"):
                    if name in record:
                        record[name] = _hex(record[name])
    return data


def encode_export_response(*, rejected: int, error_message: str, as_json: bool) -> bytes:
    response = ExportLogsServiceResponse()
    if rejected or error_message:
        response.partial_success.rejected_log_records = rejected
        response.partial_success.error_message = error_message
    if as_json:
        return orjson.dumps(json_format.MessageToDict(response))
    encoded: bytes = response.SerializeToString()
    return encoded


def encode_status(*, code: int, message: str, as_json: bool) -> bytes:
    """A `google.rpc.Status`: the body OTLP/HTTP answers errors with."""
    if as_json:
        return orjson.dumps({"code": code, "message": message})
    encoded: bytes = Status(code=code, message=message).SerializeToString()
    return encoded
