"""Field discovery: `GET /api/v1/fields` and `GET /api/v1/fields/{name}/values`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from slowapi import Limiter

from src.domain.querylang.language import parse_filter
from src.entrypoints.http.deps import ContainerDep, ReadScope
from src.entrypoints.http.query_time import FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse


class FieldOut(BaseModel):
    name: str
    type: str
    count: int
    types: dict[str, int]


class FieldsOut(BaseModel):
    fields: list[FieldOut]
    events: int
    sampled: bool
    from_: datetime = Field(alias="from")
    to: datetime


class ValueOut(BaseModel):
    value: Any
    count: int


class FieldValuesOut(BaseModel):
    field: str
    values: list[ValueOut]
    from_: datetime = Field(alias="from")
    to: datetime


def _window(from_: datetime | None, to: datetime | None) -> tuple[datetime, datetime]:
    end = to or datetime.now(UTC)
    return from_ or end - timedelta(hours=24), end


def fields_router(limiter: Limiter, rates: TenantRates) -> APIRouter:
    router = APIRouter(prefix="/api/v1/fields", tags=["search"])

    @router.get(
        "", summary="The fields and attribute keys seen in the window, with types and counts", response_model=FieldsOut
    )
    @tenant_limit(limiter, rates)
    async def list_fields(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
    ) -> JsonResponse:
        start, end = _window(from_, to)
        catalogue = await c.discover_fields.execute(principal=principal, start=start, end=end)
        return JsonResponse(
            {
                "fields": [
                    {"name": f.name, "type": f.type, "count": f.count, "types": f.types} for f in catalogue.fields
                ],
                "events": catalogue.events,
                "sampled": catalogue.sampled,
                "from": start,
                "to": end,
            },
            headers={"X-Logplane-Source": "postgres"},
        )

    @router.get(
        "/{name}/values",
        summary="A field's top values with counts (optionally under a filter q)",
        response_model=FieldValuesOut,
    )
    @tenant_limit(limiter, rates)
    async def field_values(
        request: Request,
        principal: ReadScope,
        c: ContainerDep,
        name: str,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        q: Annotated[str, Query(max_length=4000)] = "",
        limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    ) -> JsonResponse:
        start, end = _window(from_, to)
        flt = parse_filter(q, now=datetime.now(UTC), where="for field values")
        table, source = await c.field_values.execute(
            principal=principal, name=name, start=start, end=end, flt=flt, limit=limit
        )
        return JsonResponse(
            {"field": name, "values": [{"value": v, "count": n} for v, n in table.rows], "from": start, "to": end},
            headers={"X-Logplane-Source": source},
        )

    return router
