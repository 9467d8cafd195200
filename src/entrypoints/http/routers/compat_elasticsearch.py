"""Elasticsearch/OpenSearch compatibility: `_bulk` for the shippers that speak it (Fluent Bit,
Vector, Logstash, Filebeat, opensearch-py …), the version document they read first, and the
cluster health and license documents some check at start-up.

Answers are Elasticsearch's: the bulk response with per-item statuses, and errors as
`{"error": {"root_cause", "type", "reason"}, "status"}`, with `X-elastic-product: Elasticsearch`
on every response (Elasticsearch 8 clients check it).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from slowapi import Limiter
from starlette.responses import Response

from src.domain.credentials import Principal
from src.domain.errors import Conflict, DomainError, InvalidInput, Unauthenticated
from src.domain.event_limits import too_many_events
from src.domain.logs import StoredRef
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.body import max_line_bytes
from src.entrypoints.http.deps import ContainerDep
from src.entrypoints.http.openapi import COMPAT_SECURITY, compat_body
from src.entrypoints.http.rate_limit import TenantRates
from src.entrypoints.http.response_models import EsBulkOut, EsInfoOut
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.routers.compat_common import (
    compat_endpoint,
    compat_principal,
    http_status,
    read_capped_pieces,
    retry_after,
)
from src.usecases.bounded_input import byte_lines
from src.usecases.compat.elasticsearch import BulkOperation, iter_bulk, iter_drafts
from src.usecases.cooperative import cooperative, take_at_most
from src.usecases.ingest_logs import IngestRequest

PREFIX = "/api/v1/compat/elasticsearch"
PRODUCT = {"X-elastic-product": "Elasticsearch"}
VERSION = {
    "number": "8.11.0",
    "build_flavor": "default",
    "build_type": "logplane",
    "build_hash": "logplane",
    "build_date": "2023-11-04T10:04:57.184859352Z",
    "build_snapshot": False,
    "lucene_version": "9.8.0",
    "minimum_wire_compatibility_version": "7.17.0",
    "minimum_index_compatibility_version": "7.0.0",
}

INFO = {
    "name": "logplane",
    "cluster_name": "logplane",
    "cluster_uuid": "logplane",
    "version": VERSION,
    "tagline": "You Know, for Search",
}
HEALTH = {
    "cluster_name": "logplane",
    "status": "green",
    "timed_out": False,
    "number_of_nodes": 1,
    "number_of_data_nodes": 1,
    "active_primary_shards": 0,
    "active_shards": 0,
    "relocating_shards": 0,
    "initializing_shards": 0,
    "unassigned_shards": 0,
}
LICENSE = {"license": {"status": "active", "uid": "logplane", "type": "basic", "issued_to": "logplane"}}

_TYPE_BY_STATUS = {
    400: "illegal_argument_exception",
    401: "security_exception",
    403: "security_exception",
    404: "resource_not_found_exception",
    409: "version_conflict_engine_exception",
    413: "content_too_long_exception",
    415: "media_type_header_exception",
    429: "es_rejected_execution_exception",
    503: "unavailable_shards_exception",
}
_TYPE_BY_CODE = {
    "unsupported_action": "illegal_argument_exception",
    "malformed_action": "illegal_argument_exception",
    "index_missing": "action_request_validation_exception",
    "empty_bulk": "action_request_validation_exception",
    "invalid_json": "parse_exception",
    "invalid_gzip": "parse_exception",
}


def es_error(error: DomainError, status: int, *, default: str | None = None) -> dict[str, Any]:
    kind = _TYPE_BY_CODE.get(error.code) or default or _TYPE_BY_STATUS.get(status, "exception")
    cause = {"type": error.code, "reason": error.message}
    return {
        "root_cause": [{"type": kind, "reason": error.message}],
        "type": kind,
        "reason": error.message,
        "caused_by": cause,
    }


def render(request: Request, error: DomainError) -> Response:
    status = http_status(error)
    headers = {**PRODUCT, **retry_after(error)}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Basic realm="logplane", Bearer realm="logplane"'
    return JsonResponse({"error": es_error(error, status), "status": status}, status_code=status, headers=headers)


def _item_status(error: DomainError) -> int:
    """A document Elasticsearch cannot take is a 400, whatever our reason (too large included)."""
    if isinstance(error, Conflict):
        return 409
    status = http_status(error)
    return 400 if status in (400, 413) else status


def _item(op: BulkOperation, outcome: StoredRef | DomainError, seq_no: int) -> dict[str, Any]:
    if isinstance(outcome, StoredRef) and not outcome.created and op.action == "create":
        outcome = Conflict(
            f"[{op.doc_id}]: version conflict, document already exists (current version [1])",
            code="version_conflict_engine_exception",
        )
    if isinstance(outcome, DomainError):
        status = _item_status(outcome)
        error = es_error(outcome, status, default="document_parsing_exception" if status == 400 else None)
        return {op.action: {"_index": op.index, "_id": op.doc_id, "status": status, "error": error}}
    return {
        op.action: {
            "_index": op.index,
            "_id": op.doc_id or str(outcome.id),
            "_version": 1,
            # A replay of `index` with a known _id stores nothing: the first write stands.
            "result": "created" if outcome.created else "noop",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": seq_no,
            "_primary_term": 1,
            "status": 201 if outcome.created else 200,
        }
    }


async def bulk(request: Request, principal: Principal, container: Container) -> Response:
    """NDJSON action/source pairs; `index` and `create` store an event, other actions are refused per item."""
    started = time.perf_counter()
    pieces, max_events = await read_capped_pieces(request, principal, container)
    # Split and parsed lazily, and refused at the first operation past the limit.
    operations = await take_at_most(
        iter_bulk(
            byte_lines(pieces, max_line_bytes=max_line_bytes(container.settings.ingest)),
            default_index=request.path_params.get("index"),
        ),
        max_events,
    )
    if operations is None:
        raise too_many_events(max_events, max_events + 1)
    if not operations:
        raise InvalidInput("Validation Failed: 1: no requests added;", code="empty_bulk")
    drafts = [draft async for draft in cooperative(iter_drafts(operations))]
    result = await container.ingest.execute(
        IngestRequest(principal=principal, items=drafts, route="elasticsearch_bulk")
    )
    items = [_item(op, outcome, i) for i, (op, outcome) in enumerate(zip(operations, result.outcomes, strict=True))]
    errors = any("error" in next(iter(item.values())) for item in items)
    took = int((time.perf_counter() - started) * 1000)
    return JsonResponse({"took": took, "errors": errors, "items": items}, headers=PRODUCT)


def elasticsearch_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["compat"])
    bulk_endpoint = compat_endpoint(limiter, rates, render)(bulk)
    for path in ("/_bulk", "/{index}/_bulk"):
        for method in ("POST", "PUT"):  # Elasticsearch takes both; one route each keeps operation ids unique
            router.add_api_route(
                path,
                bulk_endpoint,
                methods=[method],
                summary="Elasticsearch/OpenSearch bulk ingest",
                response_model=EsBulkOut,
                openapi_extra=compat_body(
                    {"application/x-ndjson": "ndjson", "application/json": "ndjson"},
                    "NDJSON action/source pairs (`index` and `create` store an event), gzip allowed",
                ),
                include_in_schema=method == "POST",
            )

    def document_route(document: dict[str, Any]) -> Callable[[Request, Container], Awaitable[Response]]:
        async def answer(request: Request, container: ContainerDep) -> Response:
            """Answered to a credential with the `ingest` scope, as Elasticsearch answers only the authenticated."""
            try:
                await compat_principal(request, container)
            except DomainError as e:
                return render(request, e)
            return JsonResponse(document, headers=PRODUCT)

        return answer

    info = document_route(INFO)
    router.add_api_route(
        "/",
        info,
        methods=["GET"],
        summary="Elasticsearch version document",
        response_model=EsInfoOut,
        openapi_extra={"security": COMPAT_SECURITY},
    )
    for path, method in (("/", "HEAD"), ("", "GET"), ("", "HEAD")):
        router.add_api_route(path, info, methods=[method], include_in_schema=False)
    # Read by shippers' health checks and start-up checks (Vector, Logstash).
    router.add_api_route("/_cluster/health", document_route(HEALTH), methods=["GET"], include_in_schema=False)
    router.add_api_route("/_license", document_route(LICENSE), methods=["GET"], include_in_schema=False)
    return router
