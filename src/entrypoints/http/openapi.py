"""The OpenAPI document's shared parts: security schemes, the error shape on every 4xx, request
bodies of the routes that read their body themselves (streamed, size-checked, maybe gzip), and
documentation pages served from the installed `fastapi-offline` package (no CDN).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer

from src.entrypoints.http.response_models import ErrorBody
from src.entrypoints.http.schemas import LogEventIn

# Declared as FastAPI security dependencies (see deps.py) so every route shows what it accepts and
# /docs offers "Authorize"; parsing the credential stays ours (Bearer or ApiKey scheme, X-API-Key).
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key (`lp_…`) or a JWT from POST /api/v1/auth/token",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description="An API key (`lp_…`)"
)
session_scheme = APIKeyCookie(
    name="logplane_session",
    auto_error=False,
    scheme_name="session",
    description="A user's login session from POST /api/v1/auth/login; state-changing requests "
    "also need the `X-CSRF-Token` header (the `logplane_csrf` cookie's value)",
)
admin_scheme = HTTPBearer(
    auto_error=False, scheme_name="adminToken", description="The platform admin token (LOGPLANE_ADMIN_TOKEN)"
)
BASIC_SCHEME = {
    "type": "http",
    "scheme": "basic",
    "description": "Shipper routes only: any user name, the API key as the password",
}
COMPAT_SECURITY: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}, {"apiKey": []}]
TOKEN_QUERY_SCHEME = {
    "type": "apiKey",
    "in": "query",
    "name": "token",
    "description": "Live stream only (browsers cannot set headers on EventSource/WebSocket); prefer a short-lived JWT",
}
STREAM_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"tokenQuery": []}, {"session": []}]

EVENT_EXAMPLE = {
    "message": "payment failed",
    "severity": "error",
    "service": "billing",
    "host": "web-1",
    "attributes": {"order": 42, "region": "eu"},
}

SINGLE_EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One event (gzip allowed with `Content-Encoding: gzip`). "
        "`Idempotency-Key` header: the same key again stores nothing and answers the first id.",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/LogEventIn"},
                "example": EVENT_EXAMPLE,
            }
        },
    }
}

BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of events, or NDJSON (one event per line); gzip allowed.",
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/LogEventIn"}},
                "example": [EVENT_EXAMPLE, {"message": "retrying", "level": "warn", "service": "billing"}],
            },
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"message":"a"}\n{"message":"b","severity":"warning"}\n',
            },
        },
    }
}

RAW_TEXT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Log lines as text/plain (gzip allowed); each line is parsed (auto-detect or `parser`).",
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": '127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 512\n'
                'level=error msg="payment failed" order=42\n',
            }
        },
    }
}


def compat_body(media: dict[str, str], description: str) -> dict[str, Any]:
    """A shipper route's body (its protocol's format) and its credentials, Basic included."""
    return {
        "security": COMPAT_SECURITY,
        "requestBody": {
            "required": True,
            "description": description,
            "content": {name: {"schema": {"type": "string", "format": kind}} for name, kind in media.items()},
        },
    }


ATTRIBUTE_FILTERS_DOC = (
    "\n\n**Attribute filters**: any number of `attr.<key>=<value>` query parameters (dotted keys reach "
    "nested attributes, e.g. `attr.order.region=eu`); all must match. "
    '\n\n**q**: words (all must occur), `"a phrase"`, `-excluded`, `field:value` '
    "(service, host, severity, user_id, action, trace_id)."
)

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_STANDARD_ERRORS = {
    "401": "No or an invalid credential",
    "403": "The credential lacks the scope this route needs",
    "413": "Body or batch too large",
    "422": "The request is not valid; `error.details` names the field",
    "429": "Rate limited (`Retry-After` says when to retry)",
    "503": "A backing service needed by this route is unavailable",
}
_COMPAT_PREFIX = "/api/v1/compat/"


def _add_error_responses(schema: dict[str, Any]) -> None:
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            if path.startswith(_COMPAT_PREFIX):
                responses.pop("422", None)  # FastAPI's validation shape is not what these routes answer
                responses.setdefault(
                    "4XX", {"description": "Errors in the shipper protocol's own shape (Elasticsearch, Loki, OTLP)"}
                )
                continue
            secured = bool(operation.get("security"))
            for status, description in _STANDARD_ERRORS.items():
                if status in ("401", "403") and not secured:
                    continue
                # FastAPI's own 422 (HTTPValidationError) is not what the app answers: ours replaces it.
                if status == "422" or status not in responses:
                    responses[status] = {"description": description, "content": _ERROR}
            if "{" in path:
                responses.setdefault("404", {"description": "Not found (or not this tenant's)", "content": _ERROR})


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def install_openapi(app: FastAPI, *, description: str) -> None:
    """Build the document once, with the shared parts added (FastAPI caches `openapi_schema`)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for model in (ErrorBody, LogEventIn):
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
            schemas.update(generated.pop("$defs", {}))
            schemas[model.__name__] = generated
        components.setdefault("securitySchemes", {}).update(basic=BASIC_SCHEME, tokenQuery=TOKEN_QUERY_SCHEME)
        _add_error_responses(schema)
        _drop_unused_validation_schemas(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
