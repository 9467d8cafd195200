"""Loki push: `POST …/loki/api/v1/push` in JSON (optionally gzip) or snappy-compressed protobuf
(Promtail, Grafana Alloy, Fluent Bit's and Vector's Loki outputs).

Answers as Loki does: 204 when every entry was stored; 400 with a plain-text reason otherwise
(the valid entries of that request are stored all the same, as Loki stores them); 429 with
Retry-After over the tenant's budget. Error bodies are text, as Loki's are.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from slowapi import Limiter
from starlette.responses import PlainTextResponse, Response

from src.adapters.protobuf.loki import decode_push_request
from src.domain.credentials import Principal
from src.domain.errors import DomainError, UnsupportedMediaType
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.openapi import compat_body
from src.entrypoints.http.rate_limit import TenantRates
from src.entrypoints.http.routers.compat_common import (
    check_batch,
    compat_endpoint,
    http_status,
    media_type,
    parse_json,
    read_capped,
    retry_after,
)
from src.usecases.compat.loki import drafts_from_push
from src.usecases.ingest_logs import IngestRequest

PREFIX = "/api/v1/compat/loki"
MAX_REASONS = 10


def render(request: Request, error: DomainError) -> Response:
    return PlainTextResponse(error.message + "\n", status_code=http_status(error), headers=retry_after(error))


async def push(request: Request, principal: Principal, container: Container) -> Response:
    """Streams of labelled lines; every entry is checked on its own."""
    media = media_type(request)
    # Loki reads anything that is not JSON as protobuf; we name the two it documents.
    if media not in ("application/json", "application/x-protobuf", ""):
        raise UnsupportedMediaType(
            f"unsupported Content-Type {media!r}; use application/x-protobuf (snappy) or application/json",
            code="unsupported_media_type",
        )
    body, max_events = await read_capped(request, principal, container)
    if media == "application/json":
        decoded = parse_json(body)
    else:
        max_decompressed = container.settings.ingest.max_decompressed_bytes
        decoded = await decode_push_request(body, max_decompressed=max_decompressed, max_entries=max_events)
    entries = drafts_from_push(decoded)
    check_batch(len(entries), max_events)
    if not entries:
        return Response(status_code=204)
    result = await container.ingest.execute(
        IngestRequest(principal=principal, items=[item for _, item in entries], route="loki_push")
    )
    rejected = [
        (stream, outcome)
        for (stream, _), outcome in zip(entries, result.outcomes, strict=True)
        if isinstance(outcome, DomainError)
    ]
    if not rejected:
        return Response(status_code=204)
    lines = [f"entry for stream '{stream}' rejected: {error.message}" for stream, error in rejected[:MAX_REASONS]]
    lines.append(f"{len(rejected)} of {len(entries)} entries rejected; the others were stored")
    return PlainTextResponse("\n".join(lines) + "\n", status_code=400)


def loki_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["compat"])
    router.add_api_route(
        "/api/v1/push",
        compat_endpoint(limiter, rates, render)(push),
        methods=["POST"],
        summary="Loki push (snappy protobuf or JSON)",
        status_code=204,
        openapi_extra=compat_body(
            {"application/x-protobuf": "binary", "application/json": "json"},
            'Loki\'s PushRequest: snappy-compressed protobuf, or JSON `{"streams": [...]}`',
        ),
    )
    return router
