"""Human users: login/logout/me (session cookie + CSRF token), a tenant admin's user management,
the platform admin's first user of a tenant, and the tenant's audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from slowapi import Limiter

from src.domain.audit import PLATFORM_ADMIN_ACTOR
from src.domain.users import User
from src.entrypoints.http.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ContainerDep,
    CurrentPrincipal,
    PlatformAdmin,
    TenantAdminScope,
    check_csrf,
    session_cookie,
)
from src.entrypoints.http.query_time import FromTime, ToTime
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.entrypoints.http.responses import JsonResponse
from src.entrypoints.http.schemas import TenantOut
from src.entrypoints.http.user_schemas import (
    AuditEntryOut,
    AuditListOut,
    AuthMethodsOut,
    LoginIn,
    LoginOut,
    MeOut,
    UserCreateIn,
    UserListOut,
    UserOut,
    UserPatchIn,
)
from src.usecases.audit_trail import ListAuditRequest
from src.usecases.login import LoggedIn, LoginRequest
from src.usecases.manage_users import CreateUserRequest, UpdateUserRequest


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user_out(user: User) -> dict[str, Any]:
    return UserOut.of(user, now=datetime.now(UTC)).model_dump(mode="json")


def set_session_cookies(response: Response, logged_in: LoggedIn, *, secure: bool) -> None:
    """The session cookie (HttpOnly) and the CSRF cookie (readable by the page's script, on purpose:
    it sends the value back as X-CSRF-Token)."""
    max_age = max(0, int((logged_in.expires_at - datetime.now(UTC)).total_seconds()))
    for name, value, httponly in (
        (SESSION_COOKIE, logged_in.secret, True),
        (CSRF_COOKIE, logged_in.csrf_token, False),
    ):
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=httponly, secure=secure, samesite="strict")


def users_router(limiter: Limiter, rates: TenantRates, login_limit: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["users"])

    @router.post(
        "/auth/login",
        summary="Log a user in: sets the session cookie and returns the CSRF token",
        response_model=LoginOut,
    )
    @limiter.limit(login_limit, key_func=_client_ip)
    async def login(request: Request, body: LoginIn, c: ContainerDep) -> JsonResponse:
        logged_in = await c.login.execute(LoginRequest(tenant=body.tenant, email=body.email, password=body.password))
        response = JsonResponse(
            {
                "user": _user_out(logged_in.user),
                "csrf_token": logged_in.csrf_token,
                "expires_at": logged_in.expires_at,
            }
        )
        set_session_cookies(response, logged_in, secure=c.settings.auth.env != "dev")
        return response

    @router.get(
        "/auth/methods",
        summary="How people can log in here (the console's login page asks before drawing itself)",
        response_model=AuthMethodsOut,
    )
    @limiter.limit(login_limit, key_func=_client_ip)
    async def methods(request: Request, c: ContainerDep) -> JsonResponse:
        return JsonResponse({"password": True, "oidc": c.oidc_start is not None})

    @router.post(
        "/auth/logout",
        status_code=204,
        summary="End the session (its cookie stops working at once)",
        openapi_extra={"security": [{"session": []}, {"bearer": []}]},
    )
    async def logout(request: Request, c: ContainerDep) -> Response:
        cookie = session_cookie(request)
        if cookie is not None:
            check_csrf(request, cookie)
            await c.logout.execute(cookie)
        else:
            header = request.headers.get("authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                await c.logout.execute(value.strip())
        response = Response(status_code=204)
        secure = c.settings.auth.env != "dev"
        for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
            response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="strict")
        return response

    @router.get("/auth/me", summary="Who is calling: user, role, tenant and scopes", response_model=MeOut)
    @tenant_limit(limiter, rates)
    async def me(request: Request, principal: CurrentPrincipal, c: ContainerDep) -> JsonResponse:
        tenant = await c.authenticate.tenant(principal.tenant_id)
        user = None
        if principal.user_id is not None:
            user = await c.get_user.execute(tenant_id=principal.tenant_id, user_id=principal.user_id)
        return JsonResponse(
            {
                "user": _user_out(user) if user else None,
                "role": user.role.value if user else None,
                "tenant_id": str(principal.tenant_id),
                "tenant_name": tenant.name if tenant else None,
                "scopes": sorted(principal.scopes),
                "via": principal.via,
            }
        )

    @router.get("/users", summary="Your tenant's users (admin)", response_model=UserListOut)
    @tenant_limit(limiter, rates)
    async def list_users(request: Request, principal: TenantAdminScope, c: ContainerDep) -> JsonResponse:
        users = await c.list_users.execute(principal.tenant_id)
        return JsonResponse({"items": [_user_out(u) for u in users]})

    @router.post("/users", status_code=201, summary="Create a user in your tenant (admin)", response_model=UserOut)
    @tenant_limit(limiter, rates)
    async def create_user(
        request: Request, body: UserCreateIn, principal: TenantAdminScope, c: ContainerDep
    ) -> JsonResponse:
        user = await c.create_user.execute(
            CreateUserRequest(
                tenant_id=principal.tenant_id,
                email=body.email,
                role=body.role,
                password=body.password,
                actor=principal.actor,
            )
        )
        return JsonResponse(_user_out(user), status_code=201)

    @router.patch(
        "/users/{user_id}",
        summary="Change a user's role, disable/enable, or reset the password (admin)",
        response_model=UserOut,
    )
    @tenant_limit(limiter, rates)
    async def patch_user(
        request: Request, user_id: UUID, body: UserPatchIn, principal: TenantAdminScope, c: ContainerDep
    ) -> JsonResponse:
        user = await c.update_user.execute(
            UpdateUserRequest(
                tenant_id=principal.tenant_id,
                user_id=user_id,
                actor=principal.actor,
                role=body.role,
                disabled=body.disabled,
                password=body.password,
            )
        )
        return JsonResponse(_user_out(user))

    @router.delete("/users/{user_id}", status_code=204, summary="Delete a user and end their sessions (admin)")
    @tenant_limit(limiter, rates)
    async def delete_user(request: Request, user_id: UUID, principal: TenantAdminScope, c: ContainerDep) -> Response:
        await c.delete_user.execute(tenant_id=principal.tenant_id, user_id=user_id, actor=principal.actor)
        return Response(status_code=204)

    @router.get(
        "/tenant",
        summary="Your tenant: retention and limits (admin; changed by the platform admin, audited)",
        response_model=TenantOut,
    )
    @tenant_limit(limiter, rates)
    async def own_tenant(request: Request, principal: TenantAdminScope, c: ContainerDep) -> JsonResponse:
        return JsonResponse(TenantOut.of(await c.get_tenant.execute(principal.tenant_id)).model_dump(mode="json"))

    @router.get(
        "/audit", summary="Your tenant's audit log of admin actions, newest first (admin)", response_model=AuditListOut
    )
    @tenant_limit(limiter, rates)
    async def audit(
        request: Request,
        principal: TenantAdminScope,
        c: ContainerDep,
        from_: Annotated[FromTime | None, Query(alias="from")] = None,
        to: Annotated[ToTime | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JsonResponse:
        entries = await c.list_audit.execute(ListAuditRequest(principal=principal, start=from_, end=to, limit=limit))
        return JsonResponse({"items": [AuditEntryOut.of(e).model_dump(mode="json") for e in entries]})

    @router.post(
        "/tenants/{tenant_id}/users",
        status_code=201,
        summary="Create a user of a tenant, e.g. its first admin (platform admin)",
        response_model=UserOut,
        tags=["tenants (platform admin)"],
    )
    @limiter.limit(login_limit)
    async def create_user_for(
        request: Request, tenant_id: UUID, body: UserCreateIn, _: PlatformAdmin, c: ContainerDep
    ) -> JsonResponse:
        user = await c.create_user.execute(
            CreateUserRequest(
                tenant_id=tenant_id,
                email=body.email,
                role=body.role,
                password=body.password,
                actor=PLATFORM_ADMIN_ACTOR,
            )
        )
        return JsonResponse(_user_out(user), status_code=201)

    return router
