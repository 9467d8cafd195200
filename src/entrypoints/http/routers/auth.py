"""Credential routes: exchange a key for a token; a tenant admin manages the tenant's keys."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from slowapi import Limiter

from src.domain.credentials import parse_scopes
from src.domain.errors import Unauthenticated
from src.entrypoints.http.deps import ContainerDep, TenantAdminScope
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.response_models import KeyCreatedOut, KeyListOut, TokenOut
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.schemas import KeyCreateIn, TokenIn
from src.usecases.issue_token import IssueTokenRequest
from src.usecases.manage_api_keys import CreateApiKeyRequest


def auth_router(limiter: Limiter, rates: TenantRates, token_limit: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["auth"])

    @router.post("/auth/token", summary="Exchange an API key for a short-lived JWT", response_model=TokenOut)
    @limiter.limit(token_limit, key_func=lambda request: request.client.host if request.client else "unknown")
    async def issue_token(request: Request, c: ContainerDep, body: TokenIn | None = None) -> JsonResponse:
        body = body or TokenIn()
        api_key = body.api_key
        if api_key is None:
            header = request.headers.get("authorization", "")
            scheme, _, value = header.partition(" ")
            api_key = value.strip() if scheme.lower() in ("bearer", "apikey") else request.headers.get("x-api-key")
        if not api_key:
            raise Unauthenticated(
                'send the API key as {"api_key": ...} or in the Authorization header',
                code="missing_credential",
            )
        issued = await c.issue_token.execute(
            IssueTokenRequest(
                api_key=api_key,
                scopes=parse_scopes([s.value for s in body.scopes]) if body.scopes else None,
                ttl_seconds=body.ttl_seconds,
            )
        )
        return JsonResponse(
            {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": " ".join(sorted(issued.scopes)),
            }
        )

    @router.post(
        "/keys",
        status_code=201,
        summary="Create an API key for your tenant (admin scope)",
        response_model=KeyCreatedOut,
    )
    @tenant_limit(limiter, rates)
    async def create_key(
        request: Request, body: KeyCreateIn, principal: TenantAdminScope, c: ContainerDep
    ) -> JsonResponse:
        created = await c.create_key.execute(
            CreateApiKeyRequest(
                tenant_id=principal.tenant_id,
                name=body.name,
                scopes=parse_scopes([s.value for s in body.scopes]),
                actor=principal.actor,
            )
        )
        return JsonResponse(
            {
                "id": str(created.key.id),
                "name": created.key.name,
                "api_key": created.secret,
                "scopes": sorted(created.key.scopes),
            },
            status_code=201,
        )

    @router.get("/keys", summary="List your tenant's keys (never their secrets)", response_model=KeyListOut)
    @tenant_limit(limiter, rates)
    async def list_keys(request: Request, principal: TenantAdminScope, c: ContainerDep) -> JsonResponse:
        keys = await c.list_keys.execute(principal.tenant_id)
        return JsonResponse(
            {
                "items": [
                    {
                        "id": str(k.id),
                        "name": k.name,
                        "scopes": sorted(k.scopes),
                        "created_at": k.created_at,
                        "revoked_at": k.revoked_at,
                    }
                    for k in keys
                ]
            }
        )

    @router.delete("/keys/{key_id}", status_code=204, summary="Revoke one of your tenant's keys")
    @tenant_limit(limiter, rates)
    async def revoke_key(request: Request, key_id: UUID, principal: TenantAdminScope, c: ContainerDep) -> Response:
        await c.revoke_key.execute(tenant_id=principal.tenant_id, key_id=key_id, actor=principal.actor)
        return Response(status_code=204)

    return router
