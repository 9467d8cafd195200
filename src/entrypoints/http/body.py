"""Reading request bodies within limits: size cap, gzip with a decompressed-size cap, JSON/NDJSON."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request

from src.domain.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from src.domain.event_limits import too_many_events
from src.entrypoints.settings import IngestSettings
from src.usecases.bounded_input import CutLine, body_pieces, byte_lines, plain_lines
from src.usecases.cooperative import cooperative, take_at_most


async def read_wire(request: Request, *, max_bytes: int) -> bytes:
    """The body as sent (still compressed), refused past `max_bytes` before it is all read."""
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
    return b"".join(chunks)


def _gzip(request: Request) -> bool:
    encoding = request.headers.get("content-encoding", "identity").lower().strip()
    if encoding in ("", "identity"):
        return False
    if encoding != "gzip":
        raise UnsupportedMediaType(f"unsupported Content-Encoding {encoding!r}; use gzip", code="unsupported_encoding")
    return True


async def read_pieces(request: Request, *, max_bytes: int, max_decompressed: int) -> Iterator[bytes]:
    """The decoded body as a lazy iterator of small pieces: gzip is inflated only as far as the
    consumer reads, so a caller that stops early (an event limit) never inflates the rest, and
    the decompressed cap is checked piece by piece (PayloadTooLarge / InvalidInput while iterating)."""
    gzip = _gzip(request)
    wire = await read_wire(request, max_bytes=max_bytes)
    return body_pieces(wire, gzip=gzip, max_decompressed=max_decompressed)


async def read_body(request: Request, *, max_bytes: int, max_decompressed: int) -> bytes:
    """The whole decoded body, for formats that need it whole (JSON, protobuf); inflated in pieces,
    with a turn for other requests between them."""
    pieces = await read_pieces(request, max_bytes=max_bytes, max_decompressed=max_decompressed)
    return b"".join([piece async for piece in cooperative(pieces)])


def parse_json_object(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise InvalidInput(f"the body is not valid JSON: {e}", code="invalid_json") from e


NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines")


def max_line_bytes(cfg: IngestSettings) -> int:
    """The longest line a line-based body may hold: far past anything storable (an event's message
    and attributes, JSON-escaped), so a longer line is refused whatever it holds, without being
    held whole (it comes cut, see `CutLine`)."""
    return 8 * (cfg.max_message_bytes + cfg.max_attributes_bytes)


def line_too_long(line: CutLine) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the line is longer than {len(line)} bytes", code="event_too_large", details={"max_bytes": len(line)}
    )


def _ndjson_item(line: bytes) -> Any:
    if isinstance(line, CutLine):
        return line_too_long(line)
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as e:
        return InvalidInput(f"line is not valid JSON: {e}", code="invalid_json")


@dataclass(frozen=True, slots=True)
class RawBatch:
    """A bulk body before any JSON is read: NDJSON lines (a too-long one arrives as a `CutLine`),
    or the whole body of a JSON array."""

    lines: list[bytes] | None = None
    array: bytes | None = None


async def read_raw_batch(
    request: Request, *, max_bytes: int, max_decompressed: int, max_events: int, max_line_bytes: int
) -> RawBatch:
    """NDJSON is refused past `max_events` lines; a compressed body is inflated and split lazily,
    and refused at the `max_events + 1`st line."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media in NDJSON_TYPES:
        gzip = _gzip(request)
        wire = await read_wire(request, max_bytes=max_bytes)
        # The common case (not compressed, so already held whole) is split in C, not line by line.
        plain = None if gzip else plain_lines(wire, max_line_bytes=max_line_bytes)
        if plain is not None:
            if len(plain) > max_events:
                raise too_many_events(max_events, max_events + 1)
            return RawBatch(lines=plain)
        pieces = body_pieces(wire, gzip=gzip, max_decompressed=max_decompressed)
        # Counted as plain lines first (no JSON objects built for a batch about to be refused).
        split = byte_lines(pieces, max_line_bytes=max_line_bytes)
        lines = await take_at_most((line for line in split if line.strip()), max_events)
        if lines is None:
            raise too_many_events(max_events, max_events + 1)
        return RawBatch(lines=lines)
    if media in ("application/json", ""):
        return RawBatch(array=await read_body(request, max_bytes=max_bytes, max_decompressed=max_decompressed))
    raise UnsupportedMediaType(
        f"unsupported Content-Type {media!r}; use application/json or application/x-ndjson",
        code="unsupported_media_type",
    )


async def batch_items(raw: RawBatch, *, max_events: int) -> list[Any]:
    """The batch's values one by one; a line that is not JSON stays an error item."""
    if raw.lines is not None:
        return [item async for item in cooperative(_ndjson_item(line) for line in raw.lines)]
    assert raw.array is not None
    parsed = parse_json_object(raw.array)
    if not isinstance(parsed, list):
        raise InvalidInput(
            "a bulk body is a JSON array of events, or NDJSON with Content-Type application/x-ndjson",
            code="invalid_batch",
        )
    if len(parsed) > max_events:
        raise too_many_events(max_events, len(parsed))
    return parsed
