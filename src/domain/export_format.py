"""Export formats and the CSV contract (the store encodes rows to it; Parquet is an adapter's).

CSV: a header row, then one row per event in CSV_COLUMNS order; times RFC 3339 in UTC;
`attributes` as JSON text; a cell starting with = + - @ TAB or CR gets a leading apostrophe, so
spreadsheets show it instead of running it as a formula.
"""

from __future__ import annotations

from enum import StrEnum


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
