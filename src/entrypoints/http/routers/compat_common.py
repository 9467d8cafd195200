"""What the shipper-protocol routes share.

- Credentials: as everywhere (`Authorization: Bearer …`, `X-API-Key`), and also HTTP Basic with the
  API key (or a token) as the password, since Fluent Bit, Vector, Logstash and Promtail often
  speak nothing else, and Elasticsearch's `ApiKey base64(<any id>:<API key>)`. The tenant is
  still the credential's.
- The tenant's one request budget (`tenant_limit`), and its body and batch caps, as native ingest.
- Errors, a refused rate limit included, answered in the protocol's own shape by a renderer the
  route supplies: a shipper understands its protocol's errors, not ours.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import Request
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from starlette.responses import Response

from src.domain.credentials import Principal, Scope, looks_like_api_key
from src.domain.errors import DomainError, InvalidInput, RateLimited, Unauthenticated
from src.domain.event_limits import too_many_events
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.body import parse_json_object, read_body, read_pieces
from src.entrypoints.http.deps import ContainerDep, current_principal, require
from src.entrypoints.http.errors import status_of
from src.entrypoints.http.rate_limit import TenantRates, tenant_limit
from src.usecases.authenticate import AuthenticateRequest

Handler = Callable[[Request, Principal, Container], Awaitable[Response]]
Renderer = Callable[[Request, DomainError], Response]
Endpoint = Callable[[Request, Container], Awaitable[Response]]


def _pair(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


def _basic_credential(value: str) -> str:
    pair = _pair(value)
    if pair is None:
        raise Unauthenticated("malformed Basic credentials", code="invalid_authorization")
    user, password = pair
    # The key belongs in the password; a shipper that only has a user field may put it there.
    credential = password or user
    if not credential.strip():
        raise Unauthenticated("Basic credentials carry no API key: send it as the password", code="missing_credential")
    return credential


async def compat_principal(request: Request, container: Container, scope: Scope = Scope.INGEST) -> Principal:
    """A principal with `scope` (ingest by default) from Basic or Elasticsearch ApiKey credentials, else the usual ones."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    credential: str | None = None
    if scheme == "basic":
        credential = _basic_credential(value)
    elif scheme == "apikey" and (pair := _pair(value)) is not None and looks_like_api_key(pair[1]):
        # Elasticsearch's own form, `ApiKey base64(id:key)`, as Beats and Logstash send it.
        credential = pair[1]
    if credential is None:
        principal = await current_principal(request, container, None, None)
    else:
        principal = await container.authenticate.execute(AuthenticateRequest(credential=credential))
        request.state.principal = principal  # the rate limiter's key
        tenant = await container.authenticate.tenant(principal.tenant_id)
        rates: TenantRates = request.app.state.tenant_rates
        rates.remember(principal.tenant_id, tenant.limits.requests_per_minute if tenant else None)
    return await require(scope)(principal)


def http_status(error: DomainError) -> int:
    """Shippers know 400 for a bad request; the platform's 422 means the same here."""
    status = status_of(error)
    return 400 if status == 422 else status


def retry_after(error: DomainError) -> dict[str, str]:
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after)}
    return {"Retry-After": "5"} if status_of(error) == 503 else {}


async def _caps(principal: Principal, container: Container) -> tuple[int, int]:
    cfg = container.settings.ingest
    tenant = await container.authenticate.tenant(principal.tenant_id)  # cached with the credential
    own = tenant.limits if tenant is not None else None
    max_body = (own.max_body_bytes if own else None) or cfg.max_body_bytes
    max_events = (own.max_batch_events if own else None) or cfg.max_batch_events
    return max_body, max_events


async def read_capped(request: Request, principal: Principal, container: Container) -> tuple[bytes, int]:
    """The body within the tenant's caps (gzip allowed), and the tenant's largest batch."""
    max_body, max_events = await _caps(principal, container)
    body = await read_body(
        request, max_bytes=max_body, max_decompressed=container.settings.ingest.max_decompressed_bytes
    )
    return body, max_events


async def read_capped_pieces(
    request: Request, principal: Principal, container: Container
) -> tuple[Iterator[bytes], int]:
    """`read_capped`, with the body as lazy pieces (see `read_pieces`)."""
    max_body, max_events = await _caps(principal, container)
    max_decompressed = container.settings.ingest.max_decompressed_bytes
    return await read_pieces(request, max_bytes=max_body, max_decompressed=max_decompressed), max_events


def check_batch(count: int, max_events: int) -> None:
    if count > max_events:
        raise too_many_events(max_events, count)


def parse_json(body: bytes) -> dict[str, Any]:
    parsed = parse_json_object(body)
    if not isinstance(parsed, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_json")
    return parsed


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def compat_endpoint(
    limiter: Limiter, rates: TenantRates, render: Renderer, scope: Scope = Scope.INGEST
) -> Callable[[Handler], Endpoint]:
    """Turn `handler(request, principal, container)` into a route: authenticate, count the request
    against the tenant's budget, and render any refusal with `render`."""

    def decorate(handler: Handler) -> Endpoint:
        # slowapi registers a limit by the function's module and name: keep them the handler's.
        limited = tenant_limit(limiter, rates)(handler)

        async def endpoint(request: Request, container: ContainerDep) -> Response:
            try:
                principal = await compat_principal(request, container, scope)
                response: Response = await limited(request=request, principal=principal, container=container)
            except RateLimitExceeded as e:
                refused = RateLimited(f"rate limit exceeded: {e.detail}", retry_after=1)
                response = render(request, refused)
                # The limit's own headers, Retry-After the window's end (as the native routes answer).
                limiter._inject_headers(response, request.state.view_rate_limit)
            except DomainError as e:
                response = render(request, e)
            return response

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return decorate
