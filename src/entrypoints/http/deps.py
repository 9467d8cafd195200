"""FastAPI dependencies: they only hand out what the composition root built."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from src.domain.credentials import Principal, Scope
from src.domain.errors import Forbidden, NotFound, Unauthenticated
from src.domain.users import csrf_matches
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.openapi import admin_scheme, api_key_scheme, bearer_scheme, session_scheme
from src.entrypoints.http.rate_limit import TenantRates


async def get_container(request: Request) -> Container:
    # async on purpose: FastAPI runs a plain `def` dependency in a thread pool, a hop per request.
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


SESSION_COOKIE = "logplane_session"
CSRF_COOKIE = "logplane_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _has_header_credential(request: Request) -> bool:
    return bool(request.headers.get("authorization") or request.headers.get("x-api-key"))


def session_cookie(request: Request) -> str | None:
    """The session cookie, when no header credential was sent (a header always wins)."""
    if _has_header_credential(request):
        return None
    return request.cookies.get(SESSION_COOKIE) or None


def check_csrf(request: Request, secret: str) -> None:
    """A cookie rides along with any request the browser makes, a cross-site form's included; the
    X-CSRF-Token header (readable only by a page of our origin) proves the page is ours."""
    if request.method in SAFE_METHODS:
        return
    if not csrf_matches(secret, request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            "a request authenticated by the session cookie needs the X-CSRF-Token header "
            "(the value of the logplane_csrf cookie)",
            code="csrf_failed",
        )


def _credential(request: Request) -> str:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("bearer", "apikey") or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token or API key>'", code="invalid_authorization")
        return value.strip()
    api_key = request.headers.get("x-api-key")
    if api_key:
        return api_key.strip()
    raise Unauthenticated("no credential: send 'Authorization: Bearer <token or API key>'", code="missing_credential")


# Declared for the OpenAPI document (security schemes, "Authorize" in /docs); `_credential` reads the
# headers itself so that its errors are ours.
DeclaredBearer = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
DeclaredApiKey = Annotated[str | None, Security(api_key_scheme)]
DeclaredAdmin = Annotated[HTTPAuthorizationCredentials | None, Security(admin_scheme)]
DeclaredSession = Annotated[str | None, Security(session_scheme)]


async def current_principal(
    request: Request,
    container: ContainerDep,
    _bearer: DeclaredBearer,
    _api_key: DeclaredApiKey,
    _session: DeclaredSession = None,
) -> Principal:
    from src.usecases.authenticate import AuthenticateRequest

    cookie = session_cookie(request)
    if cookie is not None:
        check_csrf(request, cookie)
    credential = cookie if cookie is not None else _credential(request)
    principal = await container.authenticate.execute(AuthenticateRequest(credential=credential))
    request.state.principal = principal
    tenant = await container.authenticate.tenant(principal.tenant_id)
    rates: TenantRates = request.app.state.tenant_rates
    rates.remember(principal.tenant_id, tenant.limits.requests_per_minute if tenant else None)
    return principal


def require(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def _check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(scope)
        return principal

    return _check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
IngestScope = Annotated[Principal, Depends(require(Scope.INGEST))]
ReadScope = Annotated[Principal, Depends(require(Scope.READ))]
EditScope = Annotated[Principal, Depends(require(Scope.EDIT))]
TenantAdminScope = Annotated[Principal, Depends(require(Scope.ADMIN))]


async def platform_admin(request: Request, container: ContainerDep, _admin: DeclaredAdmin) -> None:
    expected = container.settings.auth.admin_token.get_secret_value()
    if not expected:
        raise Forbidden("platform administration is disabled: LOGPLANE_ADMIN_TOKEN is not set", code="admin_disabled")
    presented = _credential(request)
    # Constant-time comparison: the admin token must not leak through timing.
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthenticated("this endpoint needs the platform admin token", code="invalid_admin_token")
    request.state.principal = None


PlatformAdmin = Annotated[None, Depends(platform_admin)]


async def metrics_reader(request: Request, container: ContainerDep) -> None:
    """/metrics: the metrics token when one is set; in dev, anyone; otherwise nobody on this port."""
    cfg = container.settings.metrics
    if cfg.port is not None:
        # Served by its own listener (LOGPLANE_METRICS_PORT); not on the public API port.
        raise NotFound("metrics are served on LOGPLANE_METRICS_PORT", code="not_found")
    expected = cfg.token.get_secret_value()
    if not expected:
        if container.settings.auth.env == "dev":
            return
        raise Forbidden(
            "metrics are disabled: set LOGPLANE_METRICS_TOKEN or LOGPLANE_METRICS_PORT", code="metrics_disabled"
        )
    if not hmac.compare_digest(_credential(request).encode(), expected.encode()):
        raise Unauthenticated("this endpoint needs the metrics token", code="invalid_metrics_token")


MetricsReader = Annotated[None, Depends(metrics_reader)]
