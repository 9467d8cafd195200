"""OTLP/HTTP logs: the OpenTelemetry Python SDK and exporter against a real API process, and
hand-built OTLP/JSON and protobuf requests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.conftest import create_tenant
from tests.integration.compat.conftest import limit_requests, search, total
from tests.integration.conftest import ApiProcess, Stack, running_worker

PATH = "/api/v1/compat/otlp/v1/logs"
PROTOBUF = {"Content-Type": "application/x-protobuf"}


class RecordingExporter(OTLPLogExporter):
    """The real exporter, keeping what each export returned."""

    results: list[Any]

    def export(self, batch: Sequence[Any]) -> Any:
        result = super().export(batch)
        self.results.append(result)
        return result


def ship_with_the_sdk(url: str, api_key: str) -> tuple[str, str, list[Any]]:
    exporter = RecordingExporter(
        endpoint=url + PATH, headers={"Authorization": f"Bearer {api_key}"}, compression=Compression.Gzip, timeout=15
    )
    exporter.results = []
    resource = Resource.create({"service.name": "checkout", "host.name": "node-7", "deployment.environment": "test"})
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    log = logging.getLogger("compat.otlp.shop")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    try:
        with TracerProvider().get_tracer("compat-test").start_as_current_span("pay") as span:
            log.warning("payment slow", extra={"order_id": 42})
            context = span.get_span_context()
        log.error("payment failed")
        provider.force_flush()
    finally:
        log.removeHandler(handler)
        provider.shutdown()
    return format(context.trace_id, "032x"), format(context.span_id, "016x"), exporter.results


async def test_sdk_exporter_protobuf_gzip_becomes_searchable(stack: Stack, compat_api: ApiProcess) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    trace_id, span_id, results = await asyncio.to_thread(ship_with_the_sdk, compat_api.url, tenant.api_key)
    assert results and all(r.name == "SUCCESS" for r in results), results
    async with running_worker(stack.settings):
        events = await search(stack, tenant, 2, service="checkout")
    slow, failed = sorted(events, key=lambda e: e["message"], reverse=True)
    assert (slow["message"], slow["severity"], slow["host"]) == ("payment slow", "WARN", "node-7")
    assert (slow["trace_id"], slow["span_id"]) == (trace_id, span_id)
    assert (failed["severity"], failed["trace_id"]) == ("ERROR", None)
    attributes = slow["attributes"]
    assert attributes["order_id"] == 42
    assert attributes["otel.scope.name"] == "compat.otlp.shop"
    assert attributes["resource"]["deployment.environment"] == "test"
    assert attributes["resource"]["telemetry.sdk.language"] == "python"
    assert await total(stack, other) == 0


def _json_request(now: datetime) -> dict[str, Any]:
    nanos = int(now.timestamp()) * 1_000_000_000
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeLogs": [
                    {
                        "scope": {"name": "handmade", "version": "0.1"},
                        "logRecords": [
                            {
                                "timeUnixNano": str(nanos),
                                "severityNumber": 21,
                                "severityText": "FATAL",
                                "body": {
                                    "kvlistValue": {
                                        "values": [
                                            {"key": "event", "value": {"stringValue": "disk full"}},
                                            {"key": "free", "value": {"intValue": "0"}},
                                        ]
                                    }
                                },
                                "attributes": [{"key": "mount", "value": {"stringValue": "/var"}}],
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                            },
                            {"timeUnixNano": str(nanos + 10**18), "body": {"stringValue": "from the future"}},
                        ],
                    }
                ],
            }
        ]
    }


async def test_hand_built_json_partial_success(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    response = await stack.client.post(
        PATH, content=orjson.dumps(_json_request(now)), headers=tenant.headers | {"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] in ("1", 1)
    assert "timestamp_in_future" in partial["errorMessage"]
    async with running_worker(stack.settings):
        (event,) = await search(stack, tenant, 1)
    assert event["message"] == '{"event":"disk full","free":0}'
    assert (event["severity"], event["service"], event["trace_id"]) == (
        "FATAL",
        "json-svc",
        "5b8efff798038103d269b633813fc60c",
    )
    assert datetime.fromisoformat(event["timestamp"]) == now
    assert event["attributes"] == {
        "mount": "/var",
        "body": {"event": "disk full", "free": 0},
        "otel.scope.name": "handmade",
        "otel.scope.version": "0.1",
    }


async def test_protobuf_partial_success_and_errors_as_status(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    message = ExportLogsServiceRequest()
    records = message.resource_logs.add().scope_logs.add().log_records
    records.add().body.string_value = "stored"
    records.add()  # no body: nothing to store
    response = await stack.client.post(PATH, content=message.SerializeToString(), headers=tenant.headers | PROTOBUF)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = ExportLogsServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_log_records == 1
    assert "message_required" in answer.partial_success.error_message

    del records[1]
    whole = await stack.client.post(PATH, content=message.SerializeToString(), headers=tenant.headers | PROTOBUF)
    assert whole.status_code == 200, whole.text
    assert not ExportLogsServiceResponse.FromString(whole.content).HasField("partial_success")

    garbage = await stack.client.post(PATH, content=b"\xff\xff\xff\xff", headers=tenant.headers | PROTOBUF)
    assert garbage.status_code == 400
    status = status_pb2.Status.FromString(garbage.content)
    assert status.code == 3 and "ExportLogsServiceRequest" in status.message

    bad_json = await stack.client.post(
        PATH, content=b"{nope", headers=tenant.headers | {"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["code"] == 3
    wrong_shape = await stack.client.post(PATH, json={"resourceLogs": 5}, headers=tenant.headers)
    assert wrong_shape.status_code == 400 and "resourceLogs" in wrong_shape.json()["message"]
    text = await stack.client.post(PATH, content=b"hello", headers=tenant.headers | {"Content-Type": "text/plain"})
    assert text.status_code == 415 and text.json()["code"] == 3
    anonymous = await stack.client.post(PATH, content=message.SerializeToString(), headers=PROTOBUF)
    assert anonymous.status_code == 401 and status_pb2.Status.FromString(anonymous.content).code == 16


async def test_rate_limited_export_is_429_with_retry_after(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    await limit_requests(stack.client, tenant, 1)
    body = ExportLogsServiceRequest().SerializeToString()
    first = await stack.client.post(PATH, content=body, headers=tenant.headers | PROTOBUF)
    assert first.status_code == 200, first.text
    refused = await stack.client.post(PATH, content=body, headers=tenant.headers | PROTOBUF)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert status_pb2.Status.FromString(refused.content).code == 8
    as_json = await stack.client.post(PATH, json={}, headers=tenant.headers)
    assert as_json.status_code == 429 and as_json.json()["code"] == 8 and "retry-after" in as_json.headers
