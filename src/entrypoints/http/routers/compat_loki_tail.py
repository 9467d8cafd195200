"""Loki's tail WebSocket (`/loki/api/v1/tail`), as Grafana's live mode uses it: the last `limit`
lines since `start` first, then each new matching line, framed as Loki frames them:
`{"streams": [{"stream": {labels}, "values": [[ns, line]]}], "dropped_entries": null}`.

The live part is logplane's live stream (same slots per tenant, backpressure and drop counts); the
credential is re-checked while the socket is open, as on /api/v1/logs/stream."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket

from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError, Unauthenticated
from src.domain.logql.errors import LogQLError
from src.domain.logql.parser import LogQuery, parse_logql
from src.domain.stream_filter import StreamFilter
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.routers.compat_loki import PREFIX
from src.entrypoints.http.routers.compat_loki_params import limit, loki_time
from src.entrypoints.http.routers.compat_loki_read import streams
from src.entrypoints.http.routers.stream import serve_session
from src.usecases.authenticate import AuthenticateRequest
from src.usecases.live_tail import END

router = APIRouter(tags=["compat"])
WAIT_SECONDS = 15.0


def _credential(websocket: WebSocket) -> str | None:
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value, validate=True).decode().partition(":")[2] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return websocket.headers.get("x-api-key") or websocket.query_params.get("token")


async def _principal(container: Container, credential: str | None) -> Principal:
    if not credential:
        raise Unauthenticated("no credential given", code="missing_credential")
    principal = await container.authenticate.execute(AuthenticateRequest(credential=credential))
    principal.require(Scope.READ)
    return principal


def _ns(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000)


def _frame(event: dict[str, Any]) -> dict[str, Any]:
    labels = {
        "service": event.get("service"),
        "host": event.get("host"),
        "level": str(event.get("severity", "")).lower(),
    }
    stream = {k: v for k, v in labels.items() if v}
    return {
        "streams": [{"stream": stream, "values": [[_ns(event["timestamp"]), event["message"]]]}],
        "dropped_entries": None,
    }


@router.websocket(f"{PREFIX}/loki/api/v1/tail")
async def tail(websocket: WebSocket) -> None:
    container: Container = websocket.app.state.container
    credential = _credential(websocket)
    params = websocket.query_params
    try:
        principal = await _principal(container, credential)
        parsed = parse_logql(params.get("query") or "")
        if not isinstance(parsed, LogQuery):
            raise LogQLError("tail takes a log query, not a metric query")
        start = loki_time(params.get("start"), datetime.now(UTC) - timedelta(hours=1), "start")
        # Subscribed before the backlog is read: a line committed in between is in one or the other
        # (or both: the live copy of a line the backlog holds is skipped below).
        session = await container.live_tail.open(
            principal=principal, flt=StreamFilter(expr=parsed.filter), since_id=None
        )
        try:
            backlog = await container.loki_read.lines(
                principal=principal,
                flt=parsed.filter,
                start=start,
                end=datetime.now(UTC),
                limit=limit(params),
                forward=True,
            )
        except BaseException:
            await session.close()
            raise
    except DomainError as e:
        await websocket.accept()
        await websocket.close(code=4401 if isinstance(e, Unauthenticated) else 4400, reason=e.message[:120])
        return
    assert credential is not None
    try:
        await websocket.accept()
        if backlog:
            await websocket.send_text(orjson.dumps({"streams": streams(backlog), "dropped_entries": None}).decode())
    except BaseException:
        await session.close()
        raise

    shown = {str(event.id) for event in backlog}

    async def send() -> None:
        while True:
            message = await session.next(WAIT_SECONDS)
            if message is END:
                return
            if message is None:
                continue
            if message["type"] == "log":
                if shown and str(message["data"]["id"]) in shown:
                    continue  # committed before the backlog was read, announced after: sent already
                await websocket.send_text(orjson.dumps(_frame(message["data"])).decode())
            elif message["type"] == "dropped":
                dropped = [{"labels": {}, "timestamp": _ns(datetime.now(UTC))}] * int(message["count"])
                await websocket.send_text(orjson.dumps({"streams": [], "dropped_entries": dropped}).decode())

    async def receive() -> None:
        while True:
            await websocket.receive_text()  # Loki's tail takes no messages; a close ends the loop

    await serve_session(websocket, container, credential, session, send(), receive())
