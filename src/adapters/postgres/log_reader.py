"""Log queries in PostgreSQL with the same shapes the search index answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.export_copy import (
    CSV_OPTIONS,
    RAW_LINE_OPTIONS,
    copy_lines,
    csv_lines_select,
    json_lines_select,
    positional,
)
from src.adapters.postgres.field_catalogue import field_catalogue
from src.adapters.postgres.pipeline_sql import events_sql, groups_sql
from src.adapters.postgres.query_sql import SqlParams, to_sql
from src.adapters.postgres.rows import log_from_row
from src.domain.fields_catalogue import FieldCatalogue
from src.domain.logs import LogEvent
from src.domain.ports.log_reader import LogReader
from src.domain.ports.search_index import SearchPage
from src.domain.query import Cursor, LogQuery, LogStats, StatsQuery
from src.domain.querylang.pipeline import TIMESLICE
from src.domain.querylang.table import PipelineQuery, PipelineRows
from src.domain.severity import Severity

_COLUMNS = (
    'id, tenant_id, "timestamp", received_at, severity, service, message, host, user_id, action, '
    "trace_id, span_id, attributes, client_id, pattern_id"
)


def _where(tenant_id: UUID, query: LogQuery) -> tuple[str, dict[str, Any]]:
    # The tenant predicate is always first; RLS enforces it again underneath.
    clauses = ["tenant_id = :tenant_id"]
    params: dict[str, Any] = {"tenant_id": tenant_id}
    if query.start:
        clauses.append('"timestamp" >= :start')
        params["start"] = query.start
    if query.end:
        clauses.append('"timestamp" <= :end')
        params["end"] = query.end
    if query.severities:
        clauses.append("severity = ANY(CAST(:severities AS smallint[]))")
        params["severities"] = sorted(int(s) for s in query.severities)
    if query.min_severity is not None:
        clauses.append("severity >= :min_severity")
        params["min_severity"] = int(query.min_severity)
    for name in ("service", "host", "user_id", "action", "trace_id"):
        value = getattr(query, name)
        if value is not None:
            clauses.append(f"{name} = :{name}")
            params[name] = value
    if query.pattern_ids:
        clauses.append("pattern_id = ANY(CAST(:pattern_ids AS text[]))")
        params["pattern_ids"] = list(query.pattern_ids)
    for i, (key, value) in enumerate(query.attributes):
        # attr.a.b=v matches {"a": {"b": v}} whatever v's JSON type, as the flat_object field does.
        clauses.append(f"attributes #>> CAST(:attr_path_{i} AS text[]) = :attr_value_{i}")
        params[f"attr_path_{i}"] = key.split(".")
        params[f"attr_value_{i}"] = value
    if query.text is not None:
        clauses.append(to_sql(query.text, SqlParams(params)))
    return " AND ".join(clauses), params


# The statement of `stream_archivable`, with asyncpg's placeholders (tenant, before, received before).
# The attributes come as text for orjson: SQLAlchemy's asyncpg dialect decodes jsonb on its
# connections with a Python callback per row around the engine's `json_deserializer` (orjson too,
# see engine.py), which still cost the archive read ~3.5 µs per row more than text (read probes of
# bench/archive.py: 12.2 against 8.6 µs; docs/benchmarks.md, archives). Ingest wrote them with orjson.
ARCHIVABLE_SQL = (
    'SELECT id, tenant_id, "timestamp", received_at, severity, service, message, host, user_id, action, '
    "trace_id, span_id, attributes::text, client_id "
    'FROM logs WHERE tenant_id = $1 AND "timestamp" < $2 AND received_at < $3 ORDER BY "timestamp", id'
)


def archivable_event(r: Any, tenant_id: UUID) -> LogEvent:
    """One record of `ARCHIVABLE_SQL` as an event; `tenant_id` is the statement's own argument."""
    return LogEvent(
        id=UUID(bytes=r[0].bytes),  # the stdlib type: asyncpg's subclass is not JSON-serialisable
        tenant_id=tenant_id,
        timestamp=r[2],
        received_at=r[3],
        severity=Severity(r[4]),
        service=r[5],
        message=r[6],
        host=r[7],
        user_id=r[8],
        action=r[9],
        trace_id=r[10],
        span_id=r[11],
        attributes=orjson.loads(r[12]),
        client_id=r[13],
    )


class PostgresLogReader(LogReader):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_many(self, *, tenant_id: UUID, ids: Sequence[UUID]) -> list[LogEvent]:
        if not ids:
            return []
        rows = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM logs WHERE tenant_id = :t AND id = ANY(CAST(:ids AS uuid[]))"),
            {"t": tenant_id, "ids": list(ids)},
        )
        return [log_from_row(r) for r in rows.mappings()]

    async def in_id_span(
        self, *, tenant_id: UUID, lowest: UUID, highest: UUID, start: datetime, end: datetime
    ) -> list[LogEvent]:
        # The timestamps prune the daily partitions; `logs_id` finds the ids in each.
        rows = await self._conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM logs WHERE tenant_id = :t AND id BETWEEN :lowest AND :highest "
                'AND "timestamp" BETWEEN :start AND :end'
            ),
            {"t": tenant_id, "lowest": lowest, "highest": highest, "start": start, "end": end},
        )
        return [log_from_row(r) for r in rows.mappings()]

    async def scan(
        self, *, tenant_id: UUID, start: datetime | None, end: datetime | None, after: Cursor | None, limit: int
    ) -> list[LogEvent]:
        where, params = _where(tenant_id, LogQuery(start=start, end=end))
        if after is not None:
            where += ' AND ("timestamp", id) > (:after_ts, :after_id)'
            params.update(after_ts=after.timestamp, after_id=after.id)
        rows = await self._conn.execute(
            text(f'SELECT {_COLUMNS} FROM logs WHERE {where} ORDER BY "timestamp", id LIMIT :limit'),
            {**params, "limit": limit},
        )
        return [log_from_row(r) for r in rows.mappings()]

    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage:
        where, params = _where(tenant_id, query)
        total = int((await self._conn.execute(text(f"SELECT count(*) FROM logs WHERE {where}"), params)).scalar_one())
        order = "DESC" if query.descending else "ASC"
        page_where = where
        if query.use_cursor and query.cursor is not None:
            op = "<" if query.descending else ">"
            page_where += f' AND ("timestamp", id) {op} (:cursor_ts, :cursor_id)'
            params.update(cursor_ts=query.cursor.timestamp, cursor_id=query.cursor.id)
        offset = 0 if query.use_cursor else (query.page - 1) * query.page_size
        rows = await self._conn.execute(
            text(
                f'SELECT {_COLUMNS} FROM logs WHERE {page_where} ORDER BY "timestamp" {order}, id {order} '
                "LIMIT :limit OFFSET :offset"
            ),
            {**params, "limit": query.page_size, "offset": offset},
        )
        items = [log_from_row(r) for r in rows.mappings()]
        next_cursor = Cursor(items[-1].timestamp, items[-1].id) if len(items) == query.page_size else None
        return SearchPage(items=items, total=total, next_cursor=next_cursor)

    async def field_catalogue(self, *, tenant_id: UUID, start: datetime, end: datetime, sample: int) -> FieldCatalogue:
        return await field_catalogue(self._conn, tenant_id=tenant_id, start=start, end=end, sample=sample)

    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        params: dict[str, Any] = {}
        if not query.plan.aggregating:
            rows = await self._conn.execute(text(events_sql(tenant_id, query, params, _COLUMNS)), params)
            return PipelineRows(events=[log_from_row(r) for r in rows.mappings()])
        names = (*query.plan.group_columns, *(a.column for a in query.plan.aggregates))
        result = await self._conn.execute(text(groups_sql(tenant_id, query, params)), params)
        groups = []
        for row in result:
            group = dict(zip(names, row, strict=True))
            if "severity" in query.plan.group_by and group["severity"] is not None:
                group["severity"] = Severity(group["severity"]).name
            if TIMESLICE in group:
                group[TIMESLICE] = group[TIMESLICE].astimezone(UTC)
            for agg in query.plan.aggregates:
                value = group[agg.column]
                exact = agg.function in ("count", "count_distinct", "bytes") and value is not None
                group[agg.column] = int(value) if exact else value
            groups.append(group)
        return PipelineRows(groups=groups)

    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats:
        where, params = _where(tenant_id, LogQuery(start=query.start, end=query.end))
        by_severity = {
            Severity(r[0]).name: int(r[1])
            for r in await self._conn.execute(
                text(f"SELECT severity, count(*) FROM logs WHERE {where} GROUP BY severity"), params
            )
        }
        services = [
            (str(r[0]), int(r[1]))
            for r in await self._conn.execute(
                text(
                    f"SELECT service, count(*) AS n FROM logs WHERE {where} AND service IS NOT NULL "
                    "GROUP BY service ORDER BY n DESC, service LIMIT 10"
                ),
                params,
            )
        ]
        histogram = [
            (r[0].astimezone(UTC), int(r[1]))
            for r in await self._conn.execute(
                text(
                    "SELECT date_bin(make_interval(secs => :interval), \"timestamp\", TIMESTAMPTZ '1970-01-01 00:00:00+00')"
                    f" AS bucket, count(*) FROM logs WHERE {where} GROUP BY bucket ORDER BY bucket"
                ),
                {**params, "interval": query.interval_seconds},
            )
        ]
        return LogStats(
            total=sum(by_severity.values()), by_severity=by_severity, top_services=services, histogram=histogram
        )

    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int:
        where, params = _where(tenant_id, LogQuery(start=start, end=end))
        return int((await self._conn.execute(text(f"SELECT count(*) FROM logs WHERE {where}"), params)).scalar_one())

    async def stream_archivable(
        self, *, tenant_id: UUID, before: datetime, received_before: datetime
    ) -> AsyncIterator[LogEvent]:
        # The driver's cursor on this unit of work's own connection (same transaction, so the
        # tenant setting and RLS hold), 2,000 rows a round trip, events built straight from the
        # records: about half the cost per row of SQLAlchemy's streaming (bench/results/archive.md).
        raw = (await self._conn.get_raw_connection()).driver_connection
        assert raw is not None
        cursor = raw.cursor(ARCHIVABLE_SQL, tenant_id, before, received_before, prefetch=2000)
        async for r in cursor:
            yield archivable_event(r, tenant_id)

    async def count_archivable(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        result = await self._conn.execute(
            text(
                'SELECT count(*) FROM logs WHERE tenant_id = :t AND "timestamp" < :before '
                "AND received_at < :received_before"
            ),
            {"t": tenant_id, "before": before, "received_before": received_before},
        )
        return int(result.scalar_one())

    async def after_id(self, *, tenant_id: UUID, after: UUID, limit: int) -> list[LogEvent]:
        rows = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM logs WHERE tenant_id = :t AND id > :after ORDER BY id LIMIT :limit"),
            {"t": tenant_id, "after": after, "limit": limit},
        )
        return [log_from_row(r) for r in rows.mappings()]

    async def stream_query(self, *, tenant_id: UUID, query: LogQuery) -> AsyncIterator[LogEvent]:
        where, params = _where(tenant_id, query)
        order = "DESC" if query.descending else "ASC"
        result = await self._conn.stream(
            text(f'SELECT {_COLUMNS} FROM logs WHERE {where} ORDER BY "timestamp" {order}, id {order}'), params
        )
        async for row in result.mappings():
            yield log_from_row(row)

    async def export_lines(self, *, tenant_id: UUID, query: LogQuery, csv: bool) -> AsyncIterator[bytes]:
        where, params = _where(tenant_id, query)
        order = "DESC" if query.descending else "ASC"
        select = csv_lines_select if csv else json_lines_select
        sql, args = positional(select(where, order), params)
        async for chunk in copy_lines(self._conn, sql, args, CSV_OPTIONS if csv else RAW_LINE_OPTIONS):
            yield chunk
