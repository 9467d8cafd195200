"""OTLP/HTTP logs: `POST …/otlp/v1/logs` with an ExportLogsServiceRequest in binary protobuf
(`application/x-protobuf`) or OTLP/JSON (`application/json`), gzip allowed.

Answers follow the OTLP/HTTP spec, in the request's encoding: 200 with an ExportLogsServiceResponse
(`partialSuccess` counting rejected records, with the reasons); errors as a `google.rpc.Status`;
429 and 503 with Retry-After, which exporters honour before retrying.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from slowapi import Limiter
from starlette.responses import Response

from src.adapters.protobuf.otlp import decode_export_request, encode_export_response, encode_status
from src.adapters.protobuf.wire import refuse_over
from src.domain.credentials import Principal
from src.domain.errors import DomainError, UnsupportedMediaType
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.openapi import compat_body
from src.entrypoints.http.rate_limit import TenantRates
from src.entrypoints.http.response_models import OtlpExportOut
from src.entrypoints.http.routers.compat_common import (
    check_batch,
    compat_endpoint,
    http_status,
    media_type,
    parse_json,
    read_capped,
    retry_after,
)
from src.usecases.compat.otlp import drafts_from_export
from src.usecases.ingest_logs import IngestRequest

PREFIX = "/api/v1/compat/otlp"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# HTTP status → gRPC status code, for the Status body.
_GRPC_CODE = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 413: 8, 415: 3, 429: 8, 503: 14}


def _wants_json(request: Request) -> bool:
    return media_type(request) != PROTOBUF


def render(request: Request, error: DomainError) -> Response:
    status = http_status(error)
    as_json = _wants_json(request)
    body = encode_status(code=_GRPC_CODE.get(status, 2), message=error.message, as_json=as_json)
    return Response(body, status_code=status, media_type=JSON if as_json else PROTOBUF, headers=retry_after(error))


def _summary(errors: list[DomainError]) -> str:
    """`3 log records rejected: timestamp_in_future x2 (timestamp is …); message_required (…)`."""
    by_code = Counter(e.code for e in errors)
    first = {e.code: e.message for e in reversed(errors)}
    reasons = "; ".join(
        f"{code}{f' x{count}' if count > 1 else ''} ({first[code]})" for code, count in by_code.most_common(5)
    )
    return f"{len(errors)} log record{'s' if len(errors) != 1 else ''} rejected: {reasons}"


async def export_logs(request: Request, principal: Principal, container: Container) -> Response:
    """ExportLogsServiceRequest → ExportLogsServiceResponse, partial success reported per OTLP."""
    media = media_type(request)
    if media not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(
            f"unsupported Content-Type {media!r}; OTLP/HTTP is {PROTOBUF} or {JSON}", code="unsupported_media_type"
        )
    body, max_events = await read_capped(request, principal, container)
    if media == PROTOBUF:
        # resource_logs (1) → scope_logs (2) → log_records (2): counted before anything is built.
        await refuse_over(body, (1, 2, 2), max_records=max_events, what="OTLP ExportLogsServiceRequest")
        decoded = decode_export_request(body)
    else:
        decoded = parse_json(body)
    items = drafts_from_export(decoded)
    check_batch(len(items), max_events)
    errors: list[DomainError] = []
    if items:
        result = await container.ingest.execute(IngestRequest(principal=principal, items=items, route="otlp"))
        errors = [o for o in result.outcomes if isinstance(o, DomainError)]
    payload = encode_export_response(
        rejected=len(errors), error_message=_summary(errors) if errors else "", as_json=media == JSON
    )
    return Response(payload, status_code=200, media_type=media)


def otlp_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["compat"])
    router.add_api_route(
        "/v1/logs",
        compat_endpoint(limiter, rates, render)(export_logs),
        methods=["POST"],
        summary="OTLP/HTTP logs (protobuf or JSON)",
        response_model=OtlpExportOut,
        openapi_extra=compat_body(
            {"application/x-protobuf": "binary", "application/json": "json"},
            "ExportLogsServiceRequest, protobuf or JSON (gzip allowed)",
        ),
    )
    return router
