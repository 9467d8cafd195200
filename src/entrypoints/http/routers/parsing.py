"""Raw text ingest, dry-run parsing, file uploads, and a tenant's own parsers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.errors import DomainError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from src.domain.logs import LogDraft, StoredRef
from src.entrypoints.http.body import max_line_bytes, read_pieces
from src.entrypoints.http.deps import ContainerDep, CurrentPrincipal, EditScope, IngestScope
from src.entrypoints.http.errors import error_body
from src.entrypoints.http.openapi import RAW_TEXT_BODY
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import BatchOut, ParseOut, ParserListOut, ParserOut, TaskRefOut
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.schemas import StorableText
from src.usecases.bounded_input import text_lines
from src.usecases.ingest_text import ParsedLine, TextRequest


class ParserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StorableText
    pattern: StorableText = Field(max_length=2000)


class ParseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    lines: list[str] | None = None
    parser: str | None = None
    service: str | None = None


def _draft_out(draft: LogDraft) -> dict[str, Any]:
    return {
        "timestamp": draft.timestamp,
        "severity": draft.severity.name,
        "service": draft.service,
        "host": draft.host,
        "user_id": draft.user_id,
        "action": draft.action,
        "trace_id": draft.trace_id,
        "span_id": draft.span_id,
        "message": draft.message,
        "attributes": draft.attributes,
    }


def _parsed_out(parsed: list[ParsedLine]) -> list[dict[str, Any]]:
    return [{"line": p.line, "parser": p.draft.attributes.get("parser"), "event": _draft_out(p.draft)} for p in parsed]


def _check_text(content_type: str) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media not in ("text/plain", ""):
        raise UnsupportedMediaType("send raw lines as text/plain", code="unsupported_media_type")


def parsing_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["parsing"])

    @router.post(
        "/logs/raw",
        status_code=201,
        summary="Ingest raw text lines (text/plain), parsed into events",
        response_model=BatchOut,
        responses={207: {"model": BatchOut, "description": "Some lines were refused: see `errors`"}},
        openapi_extra=RAW_TEXT_BODY,
    )
    @tenant_limit(limiter, rates)
    async def ingest_raw(
        request: Request,
        principal: IngestScope,
        c: ContainerDep,
        parser: str | None = None,
        service: str | None = None,
    ) -> JsonResponse:
        cfg = c.settings.ingest
        _check_text(request.headers.get("content-type", "text/plain"))
        pieces = await read_pieces(request, max_bytes=cfg.max_body_bytes, max_decompressed=cfg.max_decompressed_bytes)
        result = await c.ingest_text.execute(
            TextRequest(
                principal=principal,
                lines=text_lines(pieces, max_line_bytes=max_line_bytes(cfg)),
                parser=parser,
                service=service,
            )
        )
        items: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, (parsed, outcome) in enumerate(zip(result.parsed, result.outcomes, strict=True)):
            if isinstance(outcome, StoredRef):
                items.append(
                    {
                        "index": index,
                        "line": parsed.line,
                        "id": outcome.id,
                        "timestamp": outcome.timestamp,
                        "parser": parsed.draft.attributes.get("parser"),
                    }
                )
            elif isinstance(outcome, DomainError):
                errors.append({"index": index, "line": parsed.line, "code": outcome.code, "message": outcome.message})
        summary = {"accepted": result.accepted, "rejected": len(errors), "errors": errors, "items": items}
        if not result.accepted:
            return JsonResponse(
                {**error_body("all_events_rejected", "no line was stored", {"errors": errors}), **summary},
                status_code=422,
            )
        return JsonResponse(summary, status_code=207 if errors else 201)

    @router.post("/parse", summary="Dry run: what each line would become (nothing is stored)", response_model=ParseOut)
    @tenant_limit(limiter, rates)
    async def dry_run(request: Request, body: ParseIn, principal: CurrentPrincipal, c: ContainerDep) -> JsonResponse:
        if (body.text is None) == (body.lines is None):
            raise InvalidInput("send either 'text' or 'lines'", details={"field": "text"})
        text = body.text if body.text is not None else "\n".join(body.lines or [])
        parsed = await c.parse_text.execute(
            TextRequest(principal=principal, lines=text.splitlines(), parser=body.parser, service=body.service)
        )
        return JsonResponse({"events": _parsed_out(parsed)})

    @router.post(
        "/logs/upload",
        status_code=202,
        summary="Upload a log file (plain or gzip) for ingestion",
        response_model=TaskRefOut,
    )
    @tenant_limit(limiter, rates)
    async def upload(
        request: Request,
        principal: IngestScope,
        c: ContainerDep,
        file: Annotated[UploadFile, File()],
        service: Annotated[str | None, Form()] = None,
        parser: Annotated[str | None, Form()] = None,
        environment: Annotated[str | None, Form()] = None,
    ) -> JsonResponse:
        limit = c.settings.ingest.max_upload_bytes
        if parser is not None:
            (await c.tenant_parsers.registry(principal.tenant_id)).parse_with(parser, "probe")  # 422 unknown now

        async def chunks() -> AsyncIterator[bytes]:
            seen = 0
            while chunk := await file.read(8 * 1024 * 1024):
                seen += len(chunk)
                if seen > limit:
                    raise PayloadTooLarge(f"files are at most {limit} bytes", code="file_too_large")
                yield chunk

        task = await c.request_file_ingest.execute(
            principal=principal,
            filename=file.filename or "upload.log",
            chunks=chunks(),
            service=service,
            parser=parser,
            environment=environment,
        )
        return JsonResponse({"task_id": task.task_id}, status_code=202)

    @router.post(
        "/parsers", status_code=201, summary="Register (or replace) a named regex parser", response_model=ParserOut
    )
    @tenant_limit(limiter, rates)
    async def put_parser(request: Request, body: ParserIn, principal: EditScope, c: ContainerDep) -> JsonResponse:
        stored = await c.tenant_parsers.put(principal=principal, name=body.name, pattern=body.pattern)
        return JsonResponse({"name": stored.name, "pattern": stored.pattern}, status_code=201)

    @router.get("/parsers", summary="Built-in and registered parsers", response_model=ParserListOut)
    @tenant_limit(limiter, rates)
    async def list_parsers(request: Request, principal: CurrentPrincipal, c: ContainerDep) -> JsonResponse:
        from src.domain.parsing.registry import BUILTIN_ORDER

        custom = await c.tenant_parsers.list(principal=principal)
        return JsonResponse(
            {
                "builtin": list(BUILTIN_ORDER),
                "custom": [{"name": p.name, "pattern": p.pattern, "created_at": p.created_at} for p in custom],
            }
        )

    @router.delete("/parsers/{name}", status_code=204, summary="Remove a registered parser")
    @tenant_limit(limiter, rates)
    async def delete_parser(request: Request, name: str, principal: EditScope, c: ContainerDep) -> Response:
        await c.tenant_parsers.delete(principal=principal, name=name)
        return Response(status_code=204)

    return router
