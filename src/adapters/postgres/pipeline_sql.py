"""A query-language pipeline as one SQL statement: GROUP BY with aggregates, or the sorted events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from src.adapters.postgres.query_sql import SqlParams, numeric_attr, scalar_attr, to_sql
from src.domain.querylang.pipeline import Aggregate
from src.domain.querylang.table import MAX_GROUPS, PipelineQuery

_PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
_TEXT_COLUMNS = frozenset({"service", "host", "user_id", "action", "trace_id", "span_id", "message", "pattern_id"})


def where(tenant_id: UUID, query: PipelineQuery, p: SqlParams) -> str:
    # The tenant predicate is always first; RLS enforces it again underneath.
    return (
        f'tenant_id = {p.bind(tenant_id)} AND "timestamp" >= {p.bind(query.start)} '
        f'AND "timestamp" <= {p.bind(query.end)} AND {to_sql(query.filter, p)}'
    )


def _group_expr(field: str, p: SqlParams) -> str:
    return scalar_attr(field, p) if field.startswith("attr.") else field


def _numeric(field: str, p: SqlParams) -> str:
    return numeric_attr(field, p) if field.startswith("attr.") else f"CAST({field} AS double precision)"


def _aggregate(agg: Aggregate, p: SqlParams) -> str:
    if agg.function == "count":
        return "count(*)"
    if agg.function == "bytes":
        return "sum(octet_length(message))"
    assert agg.field is not None
    if agg.function == "count_distinct":
        return f"count(DISTINCT {_group_expr(agg.field, p)})"
    value = _numeric(agg.field, p)
    if agg.function in _PERCENTILES:
        return f"percentile_cont({_PERCENTILES[agg.function]}) WITHIN GROUP (ORDER BY {value})"
    return f"{agg.function}({value})"


def groups_sql(tenant_id: UUID, query: PipelineQuery, params: dict[str, Any]) -> str:
    p = SqlParams(params, prefix="pl")
    plan = query.plan
    selects: list[str] = []
    if plan.timeslice_seconds:
        selects.append(
            f'date_bin(make_interval(secs => {p.bind(plan.timeslice_seconds)}), "timestamp", '
            "TIMESTAMPTZ '1970-01-01 00:00:00+00')"
        )
    selects += [_group_expr(f, p) for f in plan.group_by]
    keys = len(selects)
    selects += [_aggregate(a, p) for a in plan.aggregates]
    sql = f"SELECT {', '.join(selects)} FROM logs WHERE {where(tenant_id, query, p)}"
    if keys:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(keys))
    return sql + f" LIMIT {MAX_GROUPS + 1}"


def _order_expr(field: str, p: SqlParams) -> str:
    if field.startswith("attr."):
        return f'{scalar_attr(field, p)} COLLATE "C"'
    if field == "timestamp":
        return '"timestamp"'
    return f'{field} COLLATE "C"' if field in _TEXT_COLUMNS else field


def events_sql(tenant_id: UUID, query: PipelineQuery, params: dict[str, Any], columns: str) -> str:
    p = SqlParams(params, prefix="pl")
    order = [
        f"{_order_expr(name, p)} {'DESC' if descending else 'ASC'} NULLS LAST" for name, descending in query.plan.sort
    ]
    order += ['"timestamp" DESC', "id DESC"]
    return (
        f"SELECT {columns} FROM logs WHERE {where(tenant_id, query, p)} ORDER BY {', '.join(order)} "
        f"LIMIT {p.bind(query.event_limit)}"
    )
