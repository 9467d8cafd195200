"""A pipeline query, what a backend returns for it, and the typed table every backend's rows become.

Backends do the heavy part (filter, group, aggregate, or pick the events); the ordering, limiting
and projection of the grouped table happen here, once, so both backends give the same table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from src.domain.errors import InvalidInput
from src.domain.logs import LogEvent
from src.domain.querylang.ast import Expr
from src.domain.querylang.fields import Kind, kind_of
from src.domain.querylang.pipeline import DEFAULT_EVENT_LIMIT, TIMESLICE, Plan
from src.domain.severity import Severity

MAX_GROUPS = 50_000


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineQuery:
    start: datetime
    end: datetime
    filter: Expr
    plan: Plan

    @property
    def event_limit(self) -> int:
        return self.plan.limit or DEFAULT_EVENT_LIMIT


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineRows:
    """Events (already sorted and limited) when the plan does not aggregate, else one dict per group
    keyed by column name (severity as its name, _timeslice as a datetime)."""

    events: list[LogEvent] | None = None
    groups: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # string, integer, number, timestamp, any


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]


def too_many_groups() -> InvalidInput:
    return InvalidInput(
        f"the query makes more than {MAX_GROUPS} groups; narrow the filter or group by fewer fields",
        code="too_many_groups",
        details={"max_groups": MAX_GROUPS},
    )


def column_type(name: str) -> str:
    if name == TIMESLICE or name == "timestamp":
        return "timestamp"
    if name in ("count",) or name.startswith("count_distinct("):
        return "integer"
    if "(" in name:
        return "number"
    return "any" if kind_of(name) is Kind.ATTRIBUTE else "string"


def event_value(event: LogEvent, name: str) -> Any:
    if name.startswith("attr."):
        node: Any = event.attributes
        for part in name.removeprefix("attr.").split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node
    if name == "severity":
        return event.severity.name
    return getattr(event, name)


def _sort_key(name: str, value: Any) -> Any:
    if name == "severity" and isinstance(value, str) and value in Severity.__members__:
        return int(Severity[value])
    return value.encode() if isinstance(value, str) else value


def _sorted(rows: list[dict[str, Any]], keys: tuple[tuple[str, bool], ...]) -> list[dict[str, Any]]:
    """Stable sorts from the last key to the first; missing values last whichever the direction."""
    for name, descending in reversed(keys):
        present = [r for r in rows if r.get(name) is not None]
        missing = [r for r in rows if r.get(name) is None]
        present.sort(key=lambda r, n=name: _sort_key(n, r[n]), reverse=descending)  # type: ignore[misc]
        rows = present + missing
    return rows


def finish(plan: Plan, rows: PipelineRows) -> Table:
    columns = tuple(Column(name, column_type(name)) for name in plan.columns)
    if rows.events is not None:
        return Table(columns, [tuple(event_value(e, c.name) for c in columns) for e in rows.events])
    groups = rows.groups or []
    if len(groups) > MAX_GROUPS:
        raise too_many_groups()
    default = tuple((name, False) for name in plan.group_columns)
    ordered = _sorted(groups, plan.sort + default)
    if plan.limit is not None:
        ordered = ordered[: plan.limit]
    return Table(columns, [tuple(r.get(c.name) for c in columns) for r in ordered])
