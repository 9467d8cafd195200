"""Live stream of committed events: WebSocket at /api/v1/logs/stream, Server-Sent Events at /tail.

Credentials, in order: `Authorization: Bearer …`, a `bearer.<token>` WebSocket subprotocol, or a
`token` query parameter (for browsers, which can set neither header on a WebSocket or an
EventSource; a URL can end up in logs and history, so prefer a short-lived token there).

An open stream re-checks its credential every LOGPLANE_API_STREAM_RECHECK_SECONDS and at a token's
expiry. When it is refused, a WebSocket is closed with 4401 (revoked, expired, unknown) or 4403
(tenant suspended, scope lost); an SSE stream gets a last `event: error` with the JSON error body
and ends. Opening beyond the tenant's concurrent-stream cap is refused: SSE with a 429 JSON body,
WebSocket by accepting and closing with 4429 (browsers cannot read an HTTP status refused before
the upgrade, but they do see a close code). A `since_id` replay draws on the tenant's rate-limit
budget (429 / 4429 when spent).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from src.domain.credentials import Principal, Scope
from src.domain.errors import DependencyUnavailable, DomainError, Forbidden, InvalidInput, RateLimited, Unauthenticated
from src.domain.stream_filter import parse_stream_filter
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.deps import SESSION_COOKIE
from src.entrypoints.http.errors import error_body, status_of
from src.entrypoints.http.openapi import STREAM_SECURITY
from src.entrypoints.http.rate_limit import TenantRates, charge_tenant
from src.usecases.authenticate import AuthenticateRequest
from src.usecases.live_tail import END, TailSession
from src.usecases.watch_credential import WatchCredentialRequest

HEARTBEAT_SECONDS = 15.0
HEARTBEAT = orjson.dumps({"type": "heartbeat"}).decode()
SUBPROTOCOL = "logplane.v1"
_NOT_FILTERS = {"token", "since_id", "batch"}
BATCH_LIMIT = 500

router = APIRouter(tags=["stream"])


def _credential(headers: Any, query: Any, offered: list[str], cookies: Any = None) -> tuple[str | None, str | None]:
    """(credential, subprotocol to answer with). Last resort: a user's session cookie (the web
    console); SameSite=Strict keeps a cross-site page from opening a stream with it."""
    header = headers.get("authorization")
    if header and header.lower().startswith("bearer "):
        return header[7:].strip(), SUBPROTOCOL if SUBPROTOCOL in offered else None
    for protocol in offered:
        if protocol.startswith("bearer."):
            # Answer with the plain protocol when offered, never by echoing the token back.
            return protocol[len("bearer.") :], SUBPROTOCOL if SUBPROTOCOL in offered else protocol
    token = query.get("token") or (cookies or {}).get(SESSION_COOKIE)
    return (token or None), SUBPROTOCOL if SUBPROTOCOL in offered else None


def _session_cookie(websocket: WebSocket) -> str | None:
    """The console's session cookie, used when no other credential was given. A browser sends cookies
    with a WebSocket opened by any site's page (cross-site WebSocket hijacking) and always names
    that page in Origin, so an Origin other than this host is refused (a client without one is
    not a browser page); the cookie being SameSite=Strict is the second fence."""
    value = websocket.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    origin = websocket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        raise Forbidden("a session cookie is only accepted from a page of this origin", code="cross_origin")
    return value


async def _principal(container: Container, credential: str | None) -> Principal:
    if not credential:
        raise Unauthenticated("no credential given", code="missing_credential")
    principal = await container.authenticate.execute(AuthenticateRequest(credential=credential))
    principal.require(Scope.READ)
    return principal


def _since(value: str | None) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError as e:
        raise InvalidInput("since_id must be a log id", code="invalid_since_id") from e


def _filters(params: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for key, value in params.multi_items():
        if key in _NOT_FILTERS:
            continue
        raw.setdefault(key, []).append(value)
    return {k: (v if k in ("severity", "service", "host") else v[-1]) for k, v in raw.items()}


async def _open(container: Container, state: Any, credential: str | None, query: Any, headers: Any) -> TailSession:
    principal = await _principal(container, credential)
    flt = parse_stream_filter(_filters(query))
    since = _since(query.get("since_id") or headers.get("last-event-id"))
    if since is not None:
        # A replay reads up to stream_replay_limit stored events: it is paid from the tenant's budget.
        tenant = await container.authenticate.tenant(principal.tenant_id)
        rates: TenantRates = state.tenant_rates
        rates.remember(principal.tenant_id, tenant.limits.requests_per_minute if tenant else None)
        await charge_tenant(
            state.limiter, rates, principal.tenant_id, cost=container.live_tail.replay_cost, what="a since_id replay"
        )
    return await container.live_tail.open(principal=principal, flt=flt, since_id=since)


async def _guard(container: Container, credential: str, session: TailSession) -> None:
    """Ends the session when its credential is refused (revoked, expired, tenant suspended)."""
    refused = await container.watch_credential.until_refused(
        WatchCredentialRequest(credential=credential, principal=session.principal, scope=Scope.READ)
    )
    session.end(refused)


def _close_code(error: DomainError) -> int:
    if isinstance(error, Unauthenticated):
        return 4401
    if isinstance(error, Forbidden):
        return 4403
    if isinstance(error, RateLimited):
        return 4429
    if isinstance(error, DependencyUnavailable):
        return 1013  # "try again later": the event bus is down, or was lost (resume with since_id)
    return 4400


def _close_reason(error: DomainError) -> str:
    # A close reason is at most 123 bytes of UTF-8.
    return f"{error.code}: {error.message}".encode()[:120].decode(errors="ignore")


async def serve_session(
    websocket: WebSocket,
    container: Container,
    credential: str,
    session: TailSession,
    *loops: Coroutine[Any, Any, None],
) -> None:
    """Run a WebSocket's send/receive loops beside the credential guard until the first ends, then
    stop the rest, give the session back and close with the code of why it ended (if it did).
    Shared by every live-tail WebSocket (ours and Loki's), so a close rule is changed in one place."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    tasks.append(asyncio.create_task(_guard(container, credential, session)))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
        await session.close()
    if session.ended is not None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the client may be gone already
            await websocket.close(code=_close_code(session.ended), reason=_close_reason(session.ended))


@router.websocket("/api/v1/logs/stream")
async def stream(websocket: WebSocket) -> None:
    container: Container = websocket.app.state.container
    offered = list(websocket.scope.get("subprotocols", []))
    # The session cookie only through `_session_cookie`, which checks the handshake's Origin.
    credential, subprotocol = _credential(websocket.headers, websocket.query_params, offered)
    try:
        credential = credential or _session_cookie(websocket)
        session = await _open(container, websocket.app.state, credential, websocket.query_params, websocket.headers)
    except DomainError as e:
        # Close codes carry the reason: 4401 bad credential, 4403 missing scope or suspended tenant,
        # 4429 too many streams or replay budget spent, 4400 bad request.
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(code=_close_code(e), reason=_close_reason(e))
        return
    assert credential is not None
    try:
        await websocket.accept(subprotocol=subprotocol)
    except BaseException:
        await session.close()  # gives the stream slot back
        raise

    # Opt-in batching: a burst goes out as one frame {"type": "logs", "data": [...]}, which costs a
    # fraction of the CPU and syscalls of a frame per event (bench/results/stream_export.md).
    batching = websocket.query_params.get("batch") in ("1", "true")

    async def send() -> None:
        while True:
            message = await session.next(HEARTBEAT_SECONDS)
            if message is END:
                return
            if message is None:
                text = HEARTBEAT
            elif batching and message["type"] == "log":
                batch = {"type": "logs", "data": [message["data"], *session.ready(BATCH_LIMIT - 1)]}
                text = orjson.dumps(batch).decode()
            else:
                text = session.text(message)  # a live event's text is encoded once for all its clients
            await websocket.send_text(text)

    async def receive() -> None:
        while True:
            text = await websocket.receive_text()
            try:
                message = orjson.loads(text)
                if message.get("type") == "filter":
                    session.filter = parse_stream_filter({k: v for k, v in message.items() if k != "type"})
                    await websocket.send_text(orjson.dumps({"type": "filter_ok"}).decode())
                elif message.get("type") == "ping":
                    await websocket.send_text(orjson.dumps({"type": "pong"}).decode())
            except (orjson.JSONDecodeError, AttributeError, DomainError) as e:
                detail = e.message if isinstance(e, DomainError) else "messages are JSON objects"
                await websocket.send_text(orjson.dumps({"type": "error", "message": detail}).decode())

    await serve_session(websocket, container, credential, session, send(), receive())


@router.get(
    "/api/v1/logs/tail",
    summary="The live stream as Server-Sent Events",
    response_class=StreamingResponse,
    openapi_extra={"security": STREAM_SECURITY},
    responses={
        200: {
            "description": "`event: log` frames (and heartbeats)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def tail(request: Request) -> StreamingResponse:
    container: Container = request.app.state.container
    credential, _ = _credential(request.headers, request.query_params, [], request.cookies)
    session = await _open(container, request.app.state, credential, request.query_params, request.headers)
    assert credential is not None

    async def events() -> AsyncIterator[bytes]:
        guard = asyncio.create_task(_guard(container, credential, session))
        try:
            yield b": logplane live stream\n\n"
            while not await request.is_disconnected():
                message = await session.next(HEARTBEAT_SECONDS)
                if message is END:
                    error = session.ended
                    assert error is not None
                    body = error_body(error.code, error.message, {"status": status_of(error)})
                    yield b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"
                    return
                if message is None:
                    yield b": heartbeat\n\n"
                elif message["type"] == "log":
                    data = message["data"]
                    yield b"id: " + str(data["id"]).encode() + b"\nevent: log\ndata: " + orjson.dumps(data) + b"\n\n"
                else:
                    yield b"event: " + message["type"].encode() + b"\ndata: " + orjson.dumps(message) + b"\n\n"
        finally:
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await guard
            await session.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        # Also when the client left before the first byte and `events` never ran: the slot comes back.
        background=BackgroundTask(session.close),
    )
