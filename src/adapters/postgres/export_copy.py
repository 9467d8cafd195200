"""Exports encoded by PostgreSQL itself and streamed with COPY: far faster than decoding each row
in Python, and with backpressure all the way (a slow client slows the COPY; memory stays flat)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

_ISO = '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\''


def _severity_name(column: str) -> str:
    return (
        f"CASE {column} WHEN 1 THEN 'TRACE' WHEN 5 THEN 'DEBUG' WHEN 9 THEN 'INFO' "
        "WHEN 13 THEN 'WARN' WHEN 17 THEN 'ERROR' ELSE 'FATAL' END"
    )


def _utc_text(column: str) -> str:
    """A time as the API writes it (src.domain.wire: RFC 3339, UTC, `Z`), not in the session's zone."""
    return f"to_char({column} AT TIME ZONE 'UTC', {_ISO})"


# The public event shape (src.domain.logs.public_view), one JSON object per row. The columns are
# named for their keys and read from the row `l` (see `json_lines_select`).
_JSON_FIELDS = ", ".join(
    [
        "l.id",
        _utc_text('l."timestamp"') + ' AS "timestamp"',
        f"{_utc_text('l.received_at')} AS received_at",
        f"{_severity_name('l.severity')} AS severity",
        *(f"l.{c}" for c in ("service", "message", "host", "user_id", "action", "trace_id", "span_id", "attributes")),
    ]
)


def json_lines_select(where: str, order: str) -> str:
    """The NDJSON export's query: `logs` rows matching `where` (unqualified columns), newest or oldest
    first (`order`: DESC or ASC), each as one JSON text.

    `row_to_json` over named columns rather than `json_build_object(key, value, …)`: the variadic
    call converts and escapes 24 arguments a row (each key is one), the row 12 values with keys
    from its type, and the export ran 1.2-1.3x faster (docs/benchmarks.md, "Live stream and
    export"). The filter runs in the subquery, where the columns are `logs`' own; the order is the
    outer query's, on `logs`' columns, so the index still yields it and no output column (the
    `timestamp` text) can be taken for it."""
    return (
        f"SELECT row_to_json(e)::text FROM (SELECT * FROM logs WHERE {where}) l "
        f"CROSS JOIN LATERAL (SELECT {_JSON_FIELDS}) e "
        f'ORDER BY l."timestamp" {order}, l.id {order}'
    )


def _safe(expr: str) -> str:
    # Spreadsheets run cells that start like a formula; a leading quote keeps them text (OWASP).
    return f"CASE WHEN {expr} ~ '^[-=+@\\t\\r]' THEN '''' || {expr} ELSE {expr} END"


# The same columns, order and cell rule as src.domain.export_format (CSV_COLUMNS, _cell).
CSV_SELECT = ", ".join(
    [
        "id",
        _utc_text('"timestamp"') + ' AS "timestamp"',
        f"{_utc_text('received_at')} AS received_at",
        f"{_severity_name('severity')} AS severity",
        *(f"{_safe(c)} AS {c}" for c in ("service", "host", "user_id", "action", "trace_id", "span_id", "message")),
        f"{_safe('attributes::text')} AS attributes",
    ]
)


def csv_lines_select(where: str, order: str) -> str:
    """The CSV export's query (arguments as for `json_lines_select`). The order names `logs`'
    columns: a bare `"timestamp"` in ORDER BY is the output column of that name, the `to_char`
    text, which PostgreSQL can only sort, where the primary key yields `logs`' own in order."""
    return f'SELECT {CSV_SELECT} FROM logs WHERE {where} ORDER BY logs."timestamp" {order}, logs.id {order}'


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
