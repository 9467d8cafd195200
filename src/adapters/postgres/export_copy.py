"""Exports encoded by PostgreSQL itself and streamed with COPY: far faster than decoding each row
in Python, and with backpressure all the way (a slow client slows the COPY; memory stays flat)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

_SEVERITY_NAME = (
    "CASE severity WHEN 1 THEN 'TRACE' WHEN 5 THEN 'DEBUG' WHEN 9 THEN 'INFO' "
    "WHEN 13 THEN 'WARN' WHEN 17 THEN 'ERROR' ELSE 'FATAL' END"
)

_ISO = '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\''

# The public event shape (src.domain.logs.public_view), one JSON object per row; times as the API
# writes them (src.domain.wire: RFC 3339, UTC, `Z`), not in the session's time zone.
JSON_SELECT = (
    "json_build_object('id', id, "
    f"'timestamp', to_char(\"timestamp\" AT TIME ZONE 'UTC', {_ISO}), "
    f"'received_at', to_char(received_at AT TIME ZONE 'UTC', {_ISO}), "
    f"'severity', {_SEVERITY_NAME}, 'service', service, 'message', message, 'host', host, "
    "'user_id', user_id, 'action', action, 'trace_id', trace_id, 'span_id', span_id, "
    "'attributes', attributes)::text"
)


def _safe(expr: str) -> str:
    # Spreadsheets run cells that start like a formula; a leading quote keeps them text (OWASP).
    return f"CASE WHEN {expr} ~ '^[-=+@\\t\\r]' THEN '''' || {expr} ELSE {expr} END"


# The same columns, order and cell rule as src.domain.export_format (CSV_COLUMNS, _cell).
CSV_SELECT = ", ".join(
    [
        "id",
        f'to_char("timestamp" AT TIME ZONE \'UTC\', {_ISO}) AS "timestamp"',
        f"to_char(received_at AT TIME ZONE 'UTC', {_ISO}) AS received_at",
        f"{_SEVERITY_NAME} AS severity",
        *(f"{_safe(c)} AS {c}" for c in ("service", "host", "user_id", "action", "trace_id", "span_id", "message")),
        f"{_safe('attributes::text')} AS attributes",
    ]
)

CSV_OPTIONS: dict[str, Any] = {"format": "csv", "header": True}
# One JSON text per line, verbatim: in CSV mode with control characters as quote, delimiter and
# null marker (JSON text never holds them raw), PostgreSQL neither quotes nor escapes anything.
RAW_LINE_OPTIONS: dict[str, Any] = {"format": "csv", "quote": "\x01", "delimiter": "\x02", "null": "\x03"}


def positional(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """`:name` placeholders (as SQLAlchemy's text() takes them) to asyncpg's `$n`."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    return re.sub(r"(?<![:\w]):([a-z_][a-z0-9_]*)", number, sql), [params[n] for n in names]


async def copy_lines(conn: AsyncConnection, sql: str, args: list[Any], options: dict[str, Any]) -> AsyncIterator[bytes]:
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=16)

    async def sink(chunk: bytes) -> None:
        await chunks.put(bytes(chunk))

    async def copy() -> None:
        try:
            await raw.copy_from_query(sql, *args, output=sink, **options)
        finally:
            await chunks.put(None)

    task = asyncio.create_task(copy())
    try:
        while (chunk := await chunks.get()) is not None:
            yield chunk
        await task  # surface an error of the COPY itself
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
