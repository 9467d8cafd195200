"""OpenID Connect login (authorization code + PKCE), when LOGPLANE_OIDC_ISSUER is set."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from slowapi import Limiter

from src.domain.errors import NotFound
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.deps import ContainerDep
from src.entrypoints.http.oidc_cookie import OIDC_COOKIE, OIDC_COOKIE_PATH, seal, signing_key, unseal
from src.entrypoints.http.routers.users import set_session_cookies
from src.usecases.oidc_login import PENDING_SECONDS, FinishOidcLogin, FinishOidcLoginRequest, StartOidcLogin


def _enabled(c: Container) -> tuple[StartOidcLogin, FinishOidcLogin]:
    if c.oidc_start is None or c.oidc_finish is None:
        raise NotFound("OpenID Connect login is not configured (LOGPLANE_OIDC_ISSUER)", code="oidc_disabled")
    return c.oidc_start, c.oidc_finish


def _key(c: Container) -> bytes:
    s = c.settings
    return signing_key(
        s.oidc.client_secret.get_secret_value(),
        s.auth.jwt_secret.get_secret_value(),
        s.auth.admin_token.get_secret_value(),
    )


def oidc_router(limiter: Limiter, login_limit: str) -> APIRouter:
    router = APIRouter(prefix="/api/v1/auth/oidc", tags=["users"])

    @router.get(
        "/login",
        summary="Start an OpenID Connect login: redirects to the provider",
        response_class=RedirectResponse,
        status_code=302,
        responses={
            302: {
                "description": "To the provider's login page",
                "headers": {"Location": {"schema": {"type": "string"}, "description": "The authorization URL"}},
            }
        },
    )
    @limiter.limit(login_limit, key_func=lambda request: request.client.host if request.client else "unknown")
    async def oidc_login(
        request: Request, c: ContainerDep, tenant: Annotated[str, Query(min_length=1, max_length=200)]
    ) -> Response:
        start, _ = _enabled(c)
        started = await start.execute(tenant)
        response = RedirectResponse(started.url, status_code=302)
        # SameSite=Lax, not Strict: the provider sends the browser back with a cross-site
        # top-level navigation, which must carry this cookie.
        response.set_cookie(
            OIDC_COOKIE,
            seal(started.pending, _key(c)),
            max_age=PENDING_SECONDS,
            path=OIDC_COOKIE_PATH,
            httponly=True,
            secure=c.settings.auth.env != "dev",
            samesite="lax",
        )
        return response

    @router.get(
        "/callback",
        summary="The provider's redirect back: opens the session, then goes to the console",
        response_class=HTMLResponse,
        responses={
            200: {
                "description": "A page that moves on to `/` (the console), with the session cookies set",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        },
    )
    @limiter.limit(login_limit, key_func=lambda request: request.client.host if request.client else "unknown")
    async def oidc_callback(
        request: Request,
        c: ContainerDep,
        code: Annotated[str, Query(min_length=1, max_length=4096)],
        state: Annotated[str, Query(min_length=1, max_length=512)],
    ) -> Response:
        _, finish = _enabled(c)
        pending = unseal(request.cookies.get(OIDC_COOKIE), _key(c))
        logged_in = await finish.execute(FinishOidcLoginRequest(pending=pending, state=state, code=code))
        # Not a redirect: cookies set on a response to the provider's cross-site navigation would
        # not ride along a redirect chain that started cross-site (SameSite=Strict); a page of ours
        # that moves on starts a same-site navigation. No script (the CSP allows none inline).
        target = html.escape("/")
        response = HTMLResponse(
            f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={target}">'
            f'<title>Signed in</title><p>Signed in. <a href="{target}">Continue</a></p>'
        )
        set_session_cookies(response, logged_in, secure=c.settings.auth.env != "dev")
        response.delete_cookie(OIDC_COOKIE, path=OIDC_COOKIE_PATH)
        return response

    return router
