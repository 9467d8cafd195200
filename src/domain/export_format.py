"""Export encodings: NDJSON and CSV rows of the public event shape (Parquet is the adapter's)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from src.domain.logs import LogEvent, public_view


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"
    PARQUET = "parquet"


# A stable column order: scripts index CSV columns by position.
CSV_COLUMNS = (
    "id",
    "timestamp",
    "received_at",
    "severity",
    "service",
    "host",
    "user_id",
    "action",
    "trace_id",
    "span_id",
    "message",
    "attributes",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)
    # Spreadsheets run cells starting like a formula; a leading quote makes them plain text (OWASP).
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_header() -> bytes:
    return csv_line(list(CSV_COLUMNS))


def csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode()


def csv_row(event: LogEvent) -> bytes:
    view = public_view(event)
    return csv_line([_cell(view[c]) for c in CSV_COLUMNS])


def ndjson_row(event: LogEvent) -> bytes:
    return orjson.dumps(public_view(event)) + b"\n"
