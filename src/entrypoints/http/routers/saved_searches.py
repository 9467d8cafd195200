"""Saved searches: `/api/v1/saved-searches` (name, query in the query language, time range)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from slowapi import Limiter

from src.domain.ports.saved_search_repository import SavedSearch
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.usecases.saved_searches import SavedSearchIn


class SavedSearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(max_length=200)
    query: str = Field(max_length=4000)
    from_: str | None = Field(default=None, alias="from", max_length=64)
    to: str | None = Field(default=None, max_length=64)


class SavedSearchOut(BaseModel):
    id: UUID
    name: str
    query: str
    from_: str | None = Field(alias="from")
    to: str | None
    created_at: datetime | None
    updated_at: datetime | None


class SavedSearchList(BaseModel):
    items: list[SavedSearchOut]


def _out(search: SavedSearch) -> dict[str, Any]:
    return {
        "id": str(search.id),
        "name": search.name,
        "query": search.query,
        "from": search.time_from,
        "to": search.time_to,
        "created_at": search.created_at,
        "updated_at": search.updated_at,
    }


def _in(body: SavedSearchBody) -> SavedSearchIn:
    return SavedSearchIn(name=body.name, query=body.query, time_from=body.from_, time_to=body.to)


def saved_searches_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/saved-searches", tags=["search"])

    @router.post("", status_code=201, summary="Save a search", response_model=SavedSearchOut)
    @tenant_limit(limiter, rates)
    async def create(request: Request, principal: ReadScope, c: ContainerDep, body: SavedSearchBody) -> JsonResponse:
        return JsonResponse(_out(await c.saved_searches.create(principal=principal, body=_in(body))), status_code=201)

    @router.get("", summary="The tenant's saved searches, by name", response_model=SavedSearchList)
    @tenant_limit(limiter, rates)
    async def list_searches(request: Request, principal: ReadScope, c: ContainerDep) -> JsonResponse:
        return JsonResponse({"items": [_out(s) for s in await c.saved_searches.list(principal=principal)]})

    @router.get("/{search_id}", summary="One saved search", response_model=SavedSearchOut)
    @tenant_limit(limiter, rates)
    async def get(request: Request, principal: ReadScope, c: ContainerDep, search_id: UUID) -> JsonResponse:
        return JsonResponse(_out(await c.saved_searches.get(principal=principal, search_id=search_id)))

    @router.put("/{search_id}", summary="Replace a saved search", response_model=SavedSearchOut)
    @tenant_limit(limiter, rates)
    async def replace(
        request: Request, principal: ReadScope, c: ContainerDep, search_id: UUID, body: SavedSearchBody
    ) -> JsonResponse:
        search = await c.saved_searches.replace(principal=principal, search_id=search_id, body=_in(body))
        return JsonResponse(_out(search))

    @router.delete("/{search_id}", status_code=204, summary="Delete a saved search")
    @tenant_limit(limiter, rates)
    async def delete(request: Request, principal: ReadScope, c: ContainerDep, search_id: UUID) -> Response:
        await c.saved_searches.delete(principal=principal, search_id=search_id)
        return Response(status_code=204)

    return router
