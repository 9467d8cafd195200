"""Ingest routes: single events and bulk batches."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from slowapi import Limiter

from src.domain.credentials import Principal
from src.domain.errors import DomainError, InvalidEvent
from src.domain.logs import StoredRef
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.batch_events import bulk_drafts
from src.entrypoints.http.body import max_line_bytes, parse_json_object, read_body, read_raw_batch
from src.entrypoints.http.deps import ContainerDep, IngestScope
from src.entrypoints.http.errors import error_body
from src.entrypoints.http.openapi import BATCH_BODY, SINGLE_EVENT_BODY
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import BatchOut, StoredOut
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.schemas import LogEventIn, describe_validation_error
from src.usecases.ingest_logs import IngestRequest


def _ref(ref: StoredRef) -> dict[str, Any]:
    return {"id": ref.id, "timestamp": ref.timestamp}


def _item_error(index: int, error: DomainError) -> dict[str, Any]:
    return {"index": index, "code": error.code, "message": error.message}


async def _tenant_limits(container: Container, principal: Principal) -> tuple[int, int]:
    """(max body bytes, max batch events): the tenant's own overrides, else the platform's."""
    cfg = container.settings.ingest
    tenant = await container.authenticate.tenant(principal.tenant_id)  # cached, like the credential check
    own = tenant.limits if tenant is not None else None
    max_body = (own.max_body_bytes if own else None) or cfg.max_body_bytes
    max_events = (own.max_batch_events if own else None) or cfg.max_batch_events
    return max_body, max_events


def logs_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/logs", tags=["ingest"])
    # Batches are decoded one at a time in a process. Decoding is all CPU, so running several at
    # once finishes none sooner; it only lengthens every turn of the event loop, and each database
    # round trip of the group commit waits a turn: with eight 5,000-event batches decoding at once a
    # commit's nine statements took ~0.6 s and the process idled half the time (docs/benchmarks.md).
    decoding = asyncio.Semaphore(1)

    @router.post(
        "",
        status_code=201,
        summary="Store one event",
        response_model=StoredOut,
        openapi_extra=SINGLE_EVENT_BODY,
    )
    @tenant_limit(limiter, rates)
    async def ingest_one(request: Request, principal: IngestScope, container: ContainerDep) -> JsonResponse:
        cfg = container.settings.ingest
        max_body, _ = await _tenant_limits(container, principal)
        body = await read_body(request, max_bytes=max_body, max_decompressed=cfg.max_decompressed_bytes)
        parsed = parse_json_object(body)
        if not isinstance(parsed, dict):
            raise InvalidEvent("the body must be one JSON object; send arrays to /api/v1/logs/bulk")
        key = request.headers.get("idempotency-key")
        try:
            model = LogEventIn.model_validate(parsed)
        except ValidationError as e:
            raise describe_validation_error(e) from e
        if key is not None and not 0 < len(key) <= 200:
            raise InvalidEvent("Idempotency-Key must be 1-200 characters", code="invalid_idempotency_key")
        draft = model.to_draft(
            client_id=f"key:{key}" if key else None,
            request_hash=hashlib.sha256(body).hexdigest() if key else None,
        )
        result = await container.ingest.execute(IngestRequest(principal=principal, items=[draft]))
        (outcome,) = result.outcomes
        if isinstance(outcome, DomainError):
            raise outcome
        headers = {} if outcome.created else {"Idempotent-Replayed": "true"}
        return JsonResponse(_ref(outcome), status_code=201, headers=headers)

    @router.post(
        "/bulk",
        status_code=201,
        summary="Store a batch (JSON array or NDJSON, optionally gzip)",
        response_model=BatchOut,
        responses={207: {"model": BatchOut, "description": "Some events were refused: see `errors`"}},
        openapi_extra=BATCH_BODY,
    )
    @tenant_limit(limiter, rates)
    async def ingest_bulk(request: Request, principal: IngestScope, container: ContainerDep) -> JsonResponse:
        cfg = container.settings.ingest
        max_body, max_events = await _tenant_limits(container, principal)
        raw = await read_raw_batch(
            request,
            max_bytes=max_body,
            max_decompressed=cfg.max_decompressed_bytes,
            max_events=max_events,
            max_line_bytes=max_line_bytes(cfg),
        )
        async with decoding:
            items = await bulk_drafts(raw, max_events=max_events)
        if not items:
            raise InvalidEvent("the batch is empty", code="empty_batch")
        result = await container.ingest.execute(IngestRequest(principal=principal, items=items, route="api_bulk"))
        errors = [_item_error(i, o) for i, o in enumerate(result.outcomes) if isinstance(o, DomainError)]
        stored = [
            {"index": i, "id": o.id, "timestamp": o.timestamp}
            for i, o in enumerate(result.outcomes)
            if isinstance(o, StoredRef)
        ]
        summary = {
            "accepted": result.accepted,
            "rejected": result.rejected,
            "errors": errors,
            "items": stored,
        }
        if not result.accepted:
            body_out = error_body("all_events_rejected", "no event in the batch was stored", {"errors": errors})
            return JsonResponse({**body_out, **summary}, status_code=422)
        return JsonResponse(summary, status_code=207 if errors else 201)

    return router
