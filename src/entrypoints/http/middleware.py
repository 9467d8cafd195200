"""Request ids, access logging and request metrics, as plain ASGI (no per-request task overhead)."""

from __future__ import annotations

import logging
import re
import time
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.adapters.prometheus.ingest_metrics import REQUEST_SECONDS, REQUESTS
from src.entrypoints.logging_setup import request_id_var

logger = logging.getLogger("logplane.access")

# A client's id is echoed into headers and every log line: only a plain token, else one of ours.
_CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:+=/-]{1,64}")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"")[:64]
        request_id = incoming.decode() if _CLIENT_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            REQUEST_SECONDS.labels(scope["method"], path).observe(elapsed)
            if status >= 500 or logger.isEnabledFor(logging.DEBUG):
                logger.log(
                    logging.ERROR if status >= 500 else logging.DEBUG,
                    "%s %s %s %.1fms",
                    scope["method"],
                    scope["path"],
                    status,
                    elapsed * 1000,
                )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Caps request bodies on routes that read whole JSON documents (tenants, keys, tokens …).

    Ingest routes stream and check their own (per-tenant) limits, so they are left alone here.
    Counting what arrives, not trusting Content-Length, also stops chunked uploads.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        # These routes read whole documents anyway: read it here, within the cap, then replay it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(
            {
                "error": {
                    "code": "body_too_large",
                    "message": f"request body is larger than {self.max_bytes} bytes",
                    "details": {"max_bytes": self.max_bytes},
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
