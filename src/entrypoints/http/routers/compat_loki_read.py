"""Loki's read API for Grafana under /api/v1/compat/loki: query_range, query, labels, label values,
series, index/stats and the tail WebSocket, answering in Loki's JSON shapes (docs/loki.md).

Credentials as for Loki push: Basic (the API key as password), Bearer (key or JWT) or X-API-Key,
with the read scope. The tenant is the credential's; X-Scope-OrgID is not consulted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from slowapi import Limiter
from starlette.responses import Response

from src.domain.credentials import Principal, Scope
from src.domain.logql.errors import LogQLError
from src.domain.logql.labels import STREAM_LABELS, field_of, label_value, stream_of
from src.domain.logql.parser import LogQuery, MetricQuery, parse_logql
from src.domain.logs import LogEvent
from src.domain.querylang.ast import Expr, MatchAll
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.openapi import COMPAT_SECURITY
from src.entrypoints.http.rate_limit import TenantRates
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.routers.compat_common import compat_endpoint
from src.entrypoints.http.routers.compat_loki import PREFIX, render
from src.entrypoints.http.routers.compat_loki_params import forward, limit, loki_time, step_seconds, window
from src.usecases.compat.loki_read import Series

API = "/loki/api/v1"


class LokiQueryOut(BaseModel):
    status: str
    data: dict[str, Any]


class LokiListOut(BaseModel):
    status: str
    data: list[Any]


class LokiStatsOut(BaseModel):
    streams: int
    chunks: int
    entries: int
    bytes: int


def _ns(moment: datetime) -> str:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000)


def streams(events: Sequence[LogEvent]) -> list[dict[str, Any]]:
    grouped: dict[tuple[tuple[str, str], ...], list[list[str]]] = {}
    for event in events:
        key = tuple(sorted(stream_of(event).items()))
        grouped.setdefault(key, []).append([_ns(event.timestamp), event.message])
    return [{"stream": dict(k), "values": v} for k, v in grouped.items()]


def _success(result_type: str, result: list[dict[str, Any]], entries: int) -> JsonResponse:
    stats = {"summary": {"totalEntriesReturned": entries, "execTime": 0, "queueTime": 0, "totalBytesProcessed": 0}}
    return JsonResponse({"status": "success", "data": {"resultType": result_type, "result": result, "stats": stats}})


def _matrix(series: list[Series]) -> list[dict[str, Any]]:
    return [{"metric": dict(s.labels), "values": [[t.timestamp(), _number(v)] for t, v in s.points]} for s in series]


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _query(params: Any) -> LogQuery | MetricQuery:
    text = params.get("query")
    if not text:
        raise LogQLError("query parameter is required")
    return parse_logql(text)


async def query_range(request: Request, principal: Principal, container: Container) -> Response:
    params = request.query_params
    parsed = _query(params)
    start, end = window(params)
    reader = container.loki_read
    if isinstance(parsed, LogQuery):
        events = await reader.lines(
            principal=principal, flt=parsed.filter, start=start, end=end, limit=limit(params), forward=forward(params)
        )
        return _success("streams", streams(events), len(events))
    series = await reader.range(
        principal=principal, query=parsed, start=start, end=end, step=step_seconds(params, start, end)
    )
    return _success("matrix", _matrix(series), 0)


async def query_instant(request: Request, principal: Principal, container: Container) -> Response:
    params = request.query_params
    parsed = _query(params)
    at = loki_time(params.get("time"), datetime.now(UTC), "time")
    reader = container.loki_read
    if isinstance(parsed, LogQuery):
        events = await reader.lines(
            principal=principal, flt=parsed.filter, start=at - timedelta(hours=1), end=at,
            limit=limit(params), forward=forward(params),
        )  # fmt: skip
        return _success("streams", streams(events), len(events))
    series = await reader.instant(principal=principal, query=parsed, at=at)
    vector = [{"metric": dict(s.labels), "value": [t.timestamp(), _number(v)]} for s in series for t, v in s.points]
    return _success("vector", vector, 0)


def _selector(params: Any, name: str = "query") -> Expr:
    text = params.get(name)
    if not text:
        return MatchAll()
    parsed = parse_logql(text)
    if not isinstance(parsed, LogQuery):
        raise LogQLError("a stream selector is expected here, not a metric query")
    return parsed.filter


async def labels(request: Request, principal: Principal, container: Container) -> Response:
    start, end = window(request.query_params)
    flt = _selector(request.query_params)
    groups = await container.loki_read.groups(
        principal=principal, flt=flt, start=start, end=end, fields=tuple(STREAM_LABELS)
    )
    present = {label for f, label in STREAM_LABELS.items() for g in groups if g.get(f) is not None}
    return JsonResponse({"status": "success", "data": sorted(present)})


async def label_values(request: Request, principal: Principal, container: Container) -> Response:
    name = request.path_params["name"]
    start, end = window(request.query_params)
    field = field_of(name)
    groups = await container.loki_read.groups(
        principal=principal, flt=_selector(request.query_params), start=start, end=end, fields=(field,)
    )
    values = sorted({label_value(field, g.get(field)) for g in groups} - {""})
    return JsonResponse({"status": "success", "data": values})


async def series(request: Request, principal: Principal, container: Container) -> Response:
    params = request.query_params
    start, end = window(params)
    matches = params.getlist("match[]") or params.getlist("match")
    if not matches:
        raise LogQLError("at least one match[] argument must be provided")
    found: set[tuple[tuple[str, str], ...]] = set()
    for selector in matches:
        groups = await container.loki_read.groups(
            principal=principal, flt=_selector({"query": selector}), start=start, end=end, fields=tuple(STREAM_LABELS)
        )
        for g in groups:
            found.add(tuple(sorted((lbl, label_value(f, g[f])) for f, lbl in STREAM_LABELS.items() if g.get(f))))
    return JsonResponse({"status": "success", "data": [dict(s) for s in sorted(found)]})


async def index_stats(request: Request, principal: Principal, container: Container) -> Response:
    start, end = window(request.query_params)
    groups = await container.loki_read.groups(
        principal=principal, flt=_selector(request.query_params), start=start, end=end, fields=tuple(STREAM_LABELS)
    )
    entries = sum(int(g["count"] or 0) for g in groups)  # type: ignore[call-overload]
    size = sum(int(g["bytes"] or 0) for g in groups)  # type: ignore[call-overload]
    return JsonResponse({"streams": len(groups), "chunks": len(groups), "entries": entries, "bytes": size})


async def patterns(request: Request, principal: Principal, container: Container) -> Response:
    params = request.query_params
    start, end = window(params)
    if not params.get("query"):
        raise LogQLError("query parameter is required")
    found = await container.loki_read.patterns(
        principal=principal, flt=_selector(params), start=start, end=end, step=step_seconds(params, start, end)
    )
    data = [{"pattern": p, "samples": [[t, n] for t, n in samples]} for p, samples in found]
    return JsonResponse({"status": "success", "data": data})


def loki_read_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["compat"])
    endpoint = compat_endpoint(limiter, rates, render, Scope.READ)
    routes = [
        ("/query_range", query_range, "Loki query_range: streams or a matrix", LokiQueryOut),
        ("/query", query_instant, "Loki instant query: streams or a vector", LokiQueryOut),
        ("/labels", labels, "Loki label names", LokiListOut),
        ("/label/{name}/values", label_values, "Loki label values", LokiListOut),
        ("/series", series, "Loki series for match[] selectors", LokiListOut),
        ("/index/stats", index_stats, "Loki index stats (streams, chunks, entries, bytes)", LokiStatsOut),
        ("/patterns", patterns, "Loki patterns: templates mined from the matching lines, counts per step", LokiListOut),
    ]
    for path, handler, summary, model in routes:
        router.add_api_route(
            f"{API}{path}",
            endpoint(handler),
            methods=["GET"],
            summary=summary,
            response_model=model,
            openapi_extra={"security": COMPAT_SECURITY},
        )
    return router
