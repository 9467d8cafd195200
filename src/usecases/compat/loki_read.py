"""Use case: Loki's read API over logplane — log queries as streams, metric queries as series.

Range metrics are evaluated as Loki does, at `start + k*step` over the `range` before each point,
from counts per bucket of gcd(step, range) seconds (start is aligned down to the step, as Loki's
query frontend aligns it). A point is the window [t - range, t); points with no events are left
out, as Loki leaves them out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from src.domain.credentials import Principal
from src.domain.logql.errors import LogQLError
from src.domain.logql.labels import STREAM_LABELS, field_of, label_value
from src.domain.logql.parser import MetricQuery
from src.domain.logs import LogEvent
from src.domain.patterns.miner import TemplateMiner
from src.domain.querylang.ast import Expr
from src.domain.querylang.pipeline import TIMESLICE, Aggregate, Plan
from src.domain.querylang.table import PipelineQuery
from src.usecases.run_query import RunQuery

MAX_POINTS = 11_000  # per series, Loki's own limit
MAX_ENTRIES = 5_000  # Loki's max_entries_limit_per_query default

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Series:
    labels: Labels
    points: list[tuple[datetime, float]]


def _fields(by: tuple[str, ...] | None) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Fields to group by, and (label, field) pairs to name them in the answer."""
    pairs = (
        tuple((label, f) for f, label in STREAM_LABELS.items()) if by is None else tuple((b, field_of(b)) for b in by)
    )
    fields = tuple(dict.fromkeys(f for _, f in pairs))
    return fields, pairs


def _labels(pairs: tuple[tuple[str, str], ...], group: dict[str, object]) -> Labels:
    found = ((label, label_value(field, group.get(field))) for label, field in pairs)
    return tuple(sorted((k, v) for k, v in found if v))


class LokiRead:
    """Rules: as RunQuery (scope `read`, the principal's tenant only; OpenSearch answers what it can
    exactly, PostgreSQL the rest); at most MAX_ENTRIES lines and MAX_POINTS points per series."""

    def __init__(self, run_query: RunQuery) -> None:
        self._run = run_query

    async def lines(
        self, *, principal: Principal, flt: Expr, start: datetime, end: datetime, limit: int, forward: bool
    ) -> list[LogEvent]:
        plan = Plan(sort=(("timestamp", not forward),), limit=max(1, min(limit, MAX_ENTRIES)))
        rows, _ = await self._run.rows(
            principal=principal, query=PipelineQuery(start=start, end=end, filter=flt, plan=plan)
        )
        return rows.events or []

    async def patterns(
        self, *, principal: Principal, flt: Expr, start: datetime, end: datetime, step: int
    ) -> list[tuple[str, list[tuple[int, int]]]]:
        """Templates mined (per service) from the newest MAX_ENTRIES matching lines, with counts per
        step; the most frequent first."""
        events = await self.lines(principal=principal, flt=flt, start=start, end=end, limit=MAX_ENTRIES, forward=False)
        miners: dict[str, TemplateMiner] = {}
        hits: list[tuple[TemplateMiner, str, int]] = []
        for event in events:
            service = event.service or ""
            miner = miners.setdefault(service, TemplateMiner(str(principal.tenant_id), service))
            epoch = int(event.timestamp.timestamp())
            hits.append((miner, miner.add(event.message).pattern_id, epoch - epoch % step))
        samples: dict[str, dict[int, int]] = {}
        for miner, pid, bucket in hits:
            pattern = miner.get(pid)
            if pattern is not None:
                counts = samples.setdefault(pattern.template, {})
                counts[bucket] = counts.get(bucket, 0) + 1
        ranked = sorted(samples.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        return [(template, sorted(counts.items())) for template, counts in ranked]

    async def groups(
        self, *, principal: Principal, flt: Expr, start: datetime, end: datetime, fields: tuple[str, ...]
    ) -> list[dict[str, object]]:
        plan = Plan(aggregates=(Aggregate("count"), Aggregate("bytes")), group_by=fields)
        rows, _ = await self._run.rows(
            principal=principal, query=PipelineQuery(start=start, end=end, filter=flt, plan=plan)
        )
        return rows.groups or []

    async def instant(self, *, principal: Principal, query: MetricQuery, at: datetime) -> list[Series]:
        fields, pairs = _fields(query.by)
        start = at - timedelta(seconds=query.range_seconds)
        plan = Plan(aggregates=(self._aggregate(query),), group_by=fields)
        rows, _ = await self._run.rows(
            principal=principal, query=PipelineQuery(start=start, end=at, filter=query.filter, plan=plan)
        )
        merged: dict[Labels, float] = {}
        for group in rows.groups or []:
            value = float(group[plan.aggregates[0].column] or 0)
            merged[_labels(pairs, group)] = merged.get(_labels(pairs, group), 0.0) + value
        return [Series(k, [(at, self._scaled(query, v))]) for k, v in sorted(merged.items()) if v]

    async def range(
        self, *, principal: Principal, query: MetricQuery, start: datetime, end: datetime, step: int
    ) -> list[Series]:
        range_s = int(query.range_seconds)
        if range_s != query.range_seconds or range_s < 1:
            raise LogQLError("ranges are whole seconds in logplane (1s or more)")
        epoch = int(start.timestamp())
        first = epoch - epoch % step
        last = int(end.timestamp())
        times = list(range(first, last + 1, step))
        if len(times) > MAX_POINTS:
            raise LogQLError(
                f"exceeded maximum resolution of {MAX_POINTS} points per timeseries. Try decreasing the query "
                "resolution (?step=XX)"
            )
        bucket = math.gcd(step, range_s)
        fields, pairs = _fields(query.by)
        plan = Plan(aggregates=(self._aggregate(query),), group_by=fields, timeslice_seconds=bucket)
        window = PipelineQuery(
            start=datetime.fromtimestamp(first - range_s, UTC),
            end=datetime.fromtimestamp(times[-1], UTC) - timedelta(microseconds=1),
            filter=query.filter,
            plan=plan,
        )
        rows, _ = await self._run.rows(principal=principal, query=window)
        buckets: dict[Labels, dict[int, float]] = {}
        column = plan.aggregates[0].column
        for group in rows.groups or []:
            moment = group[TIMESLICE]
            assert isinstance(moment, datetime)
            series = buckets.setdefault(_labels(pairs, group), {})
            key = int(moment.timestamp())
            series[key] = series.get(key, 0.0) + float(group[column] or 0)
        out = []
        for labels, counts in sorted(buckets.items()):
            points = []
            for t in times:
                total = sum(counts.get(b, 0.0) for b in range(t - range_s, t, bucket))
                if total:
                    points.append((datetime.fromtimestamp(t, UTC), self._scaled(query, total)))
            if points:
                out.append(Series(labels, points))
        return out

    @staticmethod
    def _aggregate(query: MetricQuery) -> Aggregate:
        return Aggregate("bytes") if query.function.startswith("bytes") else Aggregate("count")

    @staticmethod
    def _scaled(query: MetricQuery, value: float) -> float:
        return value / query.range_seconds if query.function in ("rate", "bytes_rate") else value
