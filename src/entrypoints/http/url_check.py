"""Refuse a URL holding U+0000 before any route sees it: one check for every path and query parameter.

PostgreSQL text cannot hold U+0000, so a `service=%00` filter or a `/parsers/%00` name would otherwise
fail its statement with a 500. Starlette decodes undecodable percent-escapes to U+FFFD, so lone
surrogates cannot arrive this way; NUL is the one character to stop here.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

_ERROR = orjson.dumps(
    {
        "error": {
            "code": "invalid_character",
            "message": "the URL holds the NUL character (%00), which no path or query parameter may contain",
            "details": None,
        }
    }
)


def _holds_nul(scope: Scope) -> bool:
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


class UrlCheckMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HTTP only: the WebSocket stream matches its filters in memory and refuses bad ones itself.
        if scope["type"] != "http" or not _holds_nul(scope):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_ERROR)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": _ERROR})
