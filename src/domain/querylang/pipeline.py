"""The pipeline after the filter: `| stats … by (…)`, `| top N by f`, `| timeslice 5m`, `| sort`,
`| limit`, `| fields`. Parsed into one `Plan` that the backends execute (the grouping) and the
domain finishes (sorting, limiting and projecting the grouped table the same way for every backend)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from src.domain.querylang.fields import TOP_LEVEL, Kind, kind_of
from src.domain.querylang.scanner import Scanner

MAX_LIMIT = 10_000
DEFAULT_EVENT_LIMIT = 100
NUMERIC_FUNCTIONS = ("avg", "min", "max", "sum", "p50", "p95", "p99")
FUNCTIONS = ("count", "count_distinct", *NUMERIC_FUNCTIONS)
TIMESLICE = "_timeslice"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?:\([A-Za-z0-9_.\-]*\))?")
_SLICE = re.compile(r"(\d{1,6})([smhd])")
_SLICE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
EVENT_COLUMNS = ("id", "timestamp", "severity", "service", "host", "message")


@dataclass(frozen=True, slots=True)
class Aggregate:
    function: str
    field: str | None = None

    @property
    def column(self) -> str:
        if self.function in ("count", "bytes"):  # `bytes`: the Loki API's bytes_over_time, not in the language
            return self.function
        return f"{self.function}({self.field})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Empty `aggregates` and no timeslice: the rows are events (`fields` of them)."""

    aggregates: tuple[Aggregate, ...] = ()
    group_by: tuple[str, ...] = ()
    timeslice_seconds: int | None = None
    sort: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None
    fields: tuple[str, ...] = ()

    @property
    def aggregating(self) -> bool:
        return bool(self.aggregates)

    @property
    def group_columns(self) -> tuple[str, ...]:
        return ((TIMESLICE,) if self.timeslice_seconds else ()) + self.group_by

    @property
    def columns(self) -> tuple[str, ...]:
        if not self.aggregating:
            return self.fields or EVENT_COLUMNS
        every = self.group_columns + tuple(a.column for a in self.aggregates)
        return self.fields or every


class PipelineParser:
    def __init__(self, scanner: Scanner) -> None:
        self.s = scanner
        self.aggregates: tuple[Aggregate, ...] = ()
        self.group_by: tuple[str, ...] = ()
        self.timeslice: int | None = None
        self.sort: tuple[tuple[str, bool], ...] = ()
        self.limit: int | None = None
        self.fields: tuple[str, ...] = ()
        self.finishing = False  # after sort/limit/fields no grouping may follow

    def parse(self) -> Plan:
        s = self.s
        while True:
            s.skip_space()
            if s.at_end():
                break
            if s.peek() != "|":
                raise s.error("expected '|' before the next pipeline stage (or AND/OR in the filter)")
            s.pos += 1
            s.skip_space()
            at = s.pos
            stage = s.bare()
            handler = getattr(self, f"_stage_{stage}", None) if stage.isidentifier() else None
            if handler is None:
                raise s.error(
                    f"unknown pipeline stage {stage!r}; use stats, top, timeslice, sort, limit or fields", at=at
                )
            handler(at)
        if self.timeslice and not self.aggregates:
            self.aggregates = (Aggregate("count"),)
        plan = Plan(
            aggregates=self.aggregates,
            group_by=self.group_by,
            timeslice_seconds=self.timeslice,
            sort=self.sort,
            limit=self.limit,
            fields=self.fields,
        )
        self._check_columns(plan)
        return plan

    def _grouping(self, at: int, stage: str) -> None:
        if self.finishing:
            raise self.s.error(f"{stage} must come before sort, limit and fields", at=at)
        if self.aggregates and stage != "timeslice":
            raise self.s.error("only one stats or top per query", at=at)

    def _stage_stats(self, at: int) -> None:
        self._grouping(at, "stats")
        aggregates = [self._aggregate()]
        while self._comma():
            aggregates.append(self._aggregate())
        self.aggregates = tuple(aggregates)
        self.s.skip_space()
        if self.s.keyword("by"):
            self.group_by = self._field_list(group=True)

    def _stage_top(self, at: int) -> None:
        self._grouping(at, "top")
        count = self._int("top", 1, MAX_LIMIT)
        self.s.skip_space()
        if not self.s.keyword("by"):
            raise self.s.error("expected 'by <field>' after top N")
        self.aggregates = (Aggregate("count"),)
        self.group_by = self._field_list(group=True)
        self.sort = (("count", True),)
        self.limit = count

    def _stage_timeslice(self, at: int) -> None:
        self._grouping(at, "timeslice")
        if self.timeslice is not None:
            raise self.s.error("only one timeslice per query", at=at)
        self.s.skip_space()
        start = self.s.pos
        match = _SLICE.fullmatch(self.s.bare())
        if not match or int(match[1]) == 0:
            raise self.s.error("expected a slice length like 30s, 5m, 1h or 1d", at=start)
        self.timeslice = int(match[1]) * _SLICE_UNITS[match[2]]

    def _stage_sort(self, at: int) -> None:
        self.finishing = True
        self.s.skip_space()
        self.s.keyword("by")
        keys = []
        while True:
            self.s.skip_space()
            name = self._name("a column to sort by", _COLUMN)
            self.s.skip_space()
            descending = False
            if self.s.keyword("desc"):
                descending = True
            else:
                self.s.keyword("asc")
            keys.append((name, descending))
            if not self._comma():
                break
        self.sort = tuple(keys)

    def _stage_limit(self, at: int) -> None:
        self.finishing = True
        self.limit = self._int("limit", 1, MAX_LIMIT)

    def _stage_fields(self, at: int) -> None:
        self.finishing = True
        self.fields = self._field_list(group=False)

    def _aggregate(self) -> Aggregate:
        s = self.s
        s.skip_space()
        at = s.pos
        function = s.bare(frozenset(' \t\r\n(),|"'))
        if function not in FUNCTIONS:
            raise s.error(f"unknown function {function!r}; use {', '.join(FUNCTIONS)}", at=at)
        s.skip_space()
        if s.peek() != "(":
            raise s.error(f"expected '(' after {function}")
        s.pos += 1
        s.skip_space()
        field = None
        if function != "count":
            field = self._name(f"a field inside {function}()")
            kind = kind_of(field)
            if function in NUMERIC_FUNCTIONS and kind not in (Kind.ATTRIBUTE, Kind.SEVERITY):
                raise s.error(f"{function}() needs a numeric field (attr.<key> or severity)", at=s.pos - len(field))
            if function == "count_distinct" and kind in (Kind.TEXT, Kind.TIME):
                raise s.error(f"count_distinct() cannot count {field}", at=s.pos - len(field))
            s.skip_space()
        if s.peek() != ")":
            raise s.error(f"expected ')' to close {function}(")
        s.pos += 1
        return Aggregate(function, field)

    def _field_list(self, *, group: bool) -> tuple[str, ...]:
        s = self.s
        s.skip_space()
        wrapped = s.peek() == "("
        if wrapped:
            s.pos += 1
        names = []
        while True:
            s.skip_space()
            at = s.pos
            name = self._name("a field name")
            if group and (kind_of(name) is None or kind_of(name) in (Kind.TEXT, Kind.TIME) or name == "id"):
                raise s.error(f"cannot group by {name!r}; group by keyword fields, severity or attr.<key>", at=at)
            names.append(name)
            if not self._comma():
                break
        if wrapped:
            s.skip_space()
            if s.peek() != ")":
                raise s.error("expected ')' to close the field list")
            s.pos += 1
        if len(set(names)) != len(names):
            raise s.error("a field is listed twice")
        return tuple(names)

    def _name(self, what: str, pattern: re.Pattern[str] = _NAME) -> str:
        s = self.s
        match = pattern.match(s.text, s.pos)
        if not match:
            raise s.error(f"expected {what}")
        s.pos = match.end()
        return match.group()

    def _comma(self) -> bool:
        self.s.skip_space()
        if self.s.peek() == ",":
            self.s.pos += 1
            return True
        return False

    def _int(self, stage: str, low: int, high: int) -> int:
        s = self.s
        s.skip_space()
        at = s.pos
        text = s.bare()
        if not text.isdigit() or not low <= int(text) <= high:
            raise s.error(f"{stage} takes a whole number from {low} to {high}", at=at)
        return int(text)

    def _check_columns(self, plan: Plan) -> None:
        if plan.aggregating:
            available = set(plan.group_columns) | {a.column for a in plan.aggregates}
        else:
            available = set(TOP_LEVEL)
        for name in (*plan.fields, *(c for c, _ in plan.sort)):
            if name not in available and not (not plan.aggregating and kind_of(name) is not None):
                raise self.s.error(f"{name!r} is not a column here; columns are {', '.join(sorted(available))}")
