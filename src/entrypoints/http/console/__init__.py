"""The web console: an HTML shell at `/` and its static assets under `/console/`, from the package.

No build step and no Node.js: the console is plain ES modules and one stylesheet, shipped as package
data and served by the API itself (same origin, so the session cookie and the JSON API need no CORS).
Every console response carries a strict Content-Security-Policy (no inline script or style, nothing
from another origin); static files are gzipped on the way out and revalidated with their ETag.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"

# 'self' covers same-origin ws:/wss: in CSP Level 3 (the live tail's WebSocket).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the console's security headers (and revalidation) to every response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control"]
                # No hashed file names (no build step): the browser revalidates each asset by ETag.
                message["headers"] = [*headers, *SECURITY_HEADERS, (b"cache-control", b"no-cache")]
            await send(message)

        await self.app(scope, receive, with_headers)


def install_console(app: FastAPI) -> None:
    assets = GZipMiddleware(SecurityHeaders(StaticFiles(directory=STATIC_DIR)), minimum_size=512)
    app.mount("/console", assets, name="console")

    # The shell is a page, not part of the JSON API: it stays out of the OpenAPI document like /docs.
    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def console_shell(request: Request) -> FileResponse:
        return FileResponse(
            STATIC_DIR / "index.html",
            media_type="text/html; charset=utf-8",
            headers={name.decode(): value.decode() for name, value in SECURITY_HEADERS} | {"cache-control": "no-cache"},
        )
