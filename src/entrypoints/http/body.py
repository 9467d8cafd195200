"""Reading request bodies within limits: size cap, gzip with a decompressed-size cap, JSON/NDJSON."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from fastapi import Request

from src.domain.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType


async def read_body(request: Request, *, max_bytes: int, max_decompressed: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(
            f"request body is larger than {max_bytes} bytes",
            code="body_too_large",
            details={"max_bytes": max_bytes},
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"request body is larger than {max_bytes} bytes",
                code="body_too_large",
                details={"max_bytes": max_bytes},
            )
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").lower().strip()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(f"unsupported Content-Encoding {encoding!r}; use gzip", code="unsupported_encoding")
    return gunzip_capped(body, max_decompressed)


def gunzip_capped(body: bytes, limit: int) -> bytes:
    """Decompress at most `limit` bytes: a small bomb cannot expand into memory."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as e:
        raise InvalidInput("the body is not valid gzip", code="invalid_gzip") from e
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"decompressed body is larger than {limit} bytes",
            code="decompressed_too_large",
            details={"max_bytes": limit},
        )
    if not inflater.eof:
        raise InvalidInput("the gzip body is truncated", code="invalid_gzip")
    return out


def parse_json_object(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise InvalidInput(f"the body is not valid JSON: {e}", code="invalid_json") from e


def split_batch(body: bytes, content_type: str) -> list[Any]:
    """A JSON array, or NDJSON (one JSON value a line); a line that is not JSON stays an error item."""
    media = content_type.split(";")[0].strip().lower()
    if media in ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines"):
        items: list[Any] = []
        for line in body.splitlines():
            if not line.strip():
                continue
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError as e:
                items.append(InvalidInput(f"line is not valid JSON: {e}", code="invalid_json"))
        return items
    if media in ("application/json", ""):
        parsed = parse_json_object(body)
        if not isinstance(parsed, list):
            raise InvalidInput(
                "a bulk body is a JSON array of events, or NDJSON with Content-Type application/x-ndjson",
                code="invalid_batch",
            )
        return parsed
    raise UnsupportedMediaType(
        f"unsupported Content-Type {media!r}; use application/json or application/x-ndjson",
        code="unsupported_media_type",
    )
