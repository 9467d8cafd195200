"""Platform-admin routes: the tenant registry."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from slowapi import Limiter

from src.domain.credentials import parse_scopes
from src.domain.tenants import TenantLimits
from src.entrypoints.http.deps import ContainerDep, PlatformAdmin
from src.entrypoints.http.response_models import KeyCreatedOut, TenantCreatedOut, TenantListOut
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.schemas import KeyCreateIn, TenantCreateIn, TenantOut, TenantPatchIn
from src.usecases.create_tenant import CreateTenantRequest
from src.usecases.manage_api_keys import CreateApiKeyRequest
from src.usecases.update_tenant import UpdateTenantRequest


def tenants_router(limiter: Limiter, admin_limit: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1/tenants", tags=["tenants (platform admin)"])

    @router.post(
        "", status_code=201, summary="Create a tenant and its first admin key", response_model=TenantCreatedOut
    )
    @limiter.limit(admin_limit)
    async def create_tenant(request: Request, body: TenantCreateIn, _: PlatformAdmin, c: ContainerDep) -> JsonResponse:
        created = await c.create_tenant.execute(
            CreateTenantRequest(
                name=body.name,
                retention_days=body.retention_days,
                limits=TenantLimits(**body.limits.model_dump()),
            )
        )
        out = TenantOut.of(created.tenant).model_dump(mode="json")
        return JsonResponse(
            {**out, "tenant_id": out["id"], "api_key": created.api_key, "api_key_id": created.api_key_id},
            status_code=201,
        )

    @router.get("", summary="List tenants", response_model=TenantListOut)
    @limiter.limit(admin_limit)
    async def list_tenants(request: Request, _: PlatformAdmin, c: ContainerDep) -> JsonResponse:
        tenants = await c.list_tenants.execute()
        return JsonResponse({"items": [TenantOut.of(t).model_dump(mode="json") for t in tenants]})

    @router.get("/{tenant_id}", summary="One tenant", response_model=TenantOut)
    @limiter.limit(admin_limit)
    async def get_tenant(request: Request, tenant_id: UUID, _: PlatformAdmin, c: ContainerDep) -> JsonResponse:
        return JsonResponse(TenantOut.of(await c.get_tenant.execute(tenant_id)).model_dump(mode="json"))

    @router.patch("/{tenant_id}", summary="Change retention, status (suspend) or limits", response_model=TenantOut)
    @limiter.limit(admin_limit)
    async def patch_tenant(
        request: Request, tenant_id: UUID, body: TenantPatchIn, _: PlatformAdmin, c: ContainerDep
    ) -> JsonResponse:
        tenant = await c.update_tenant.execute(
            UpdateTenantRequest(
                tenant_id=tenant_id,
                retention_days=body.retention_days,
                status=body.status,
                limit_changes=body.limits.model_dump(exclude_unset=True) if body.limits else None,
                change_archive_format="archive_format" in body.model_fields_set,
                archive_format=body.archive_format,
            )
        )
        return JsonResponse(TenantOut.of(tenant).model_dump(mode="json"))

    @router.post(
        "/{tenant_id}/keys", status_code=201, summary="Create an API key for a tenant", response_model=KeyCreatedOut
    )
    @limiter.limit(admin_limit)
    async def create_key_for(
        request: Request, tenant_id: UUID, body: KeyCreateIn, _: PlatformAdmin, c: ContainerDep
    ) -> JsonResponse:
        created = await c.create_key.execute(
            CreateApiKeyRequest(
                tenant_id=tenant_id, name=body.name, scopes=parse_scopes([s.value for s in body.scopes])
            )
        )
        return JsonResponse(
            {"id": str(created.key.id), "api_key": created.secret, "scopes": sorted(created.key.scopes)},
            status_code=201,
        )

    return router
