#!/usr/bin/env python
"""Query-language benchmark on the real OpenSearch node: the API next to the backend's own time.

    python bench/query.py [--events N] [--load-budget S] [--requests R]

Reuses bench/search.py: `start_stack(engine="opensearch")` starts a real OpenSearch node, and its
`SearchLoader` loads one tenant straight into PostgreSQL (COPY) and OpenSearch (raw bulk, documents as
the index worker writes them). Then, for each query kind, one client, sequentially: the request through
the HTTP API (`GET /api/v1/query` or the Loki `query_range`), then the same query straight to the
backend. "Straight to the backend" replays the exact search bodies the adapter sends (captured by
running the adapter's own `run_pipeline` on a recording client in this process; a grouped
aggregation may be several composite pages, which are summed). A query OpenSearch cannot answer
exactly (the regex) is answered by PostgreSQL; for it, and for every kind, the PostgreSQL fallback's
own time is measured in process (`reader.run_pipeline` in a tenant transaction).

The report (markdown) is printed and written to bench/results/query.md (`--output`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/query.py`

from bench.harness import ROOT, ApiServer, create_tenant, log, pct
from bench.search import (
    SearchLoader,
    Stack,
    index_total,
    os_client,
    start_stack,
    wait_for_quiet,
)

LOKI = "/api/v1/compat/loki/loki/api/v1/query_range"
REGEX = r'service:billing message:~"authorization declined for order ord_\d+ amount=9\d\."'
KINDS: dict[str, str] = {
    "filter": "service:billing severity:>=warn | limit 50",
    "word+phrase": 'stripe "authorization declined" | limit 50',
    "regex": f"{REGEX} | limit 50",
    "stats 24 h": "| stats count() by (service)",
    "loki count_over_time": 'sum by (level) (count_over_time({service="billing"} [5m]))',
}


@dataclass
class KindResult:
    kind: str
    query: str
    window: str
    api: list[float] = field(default_factory=list)
    source: str = ""
    direct: list[float] = field(default_factory=list)  # the adapter's bodies straight to OpenSearch
    took: list[float] = field(default_factory=list)  # OpenSearch's own `took`
    pages: int = 0
    postgres: list[float] = field(default_factory=list)  # the PostgreSQL fallback, in process


class Recorder:
    """Stands in for AsyncOpenSearch inside the adapter and keeps the search calls it makes."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.indices = client.indices
        self.calls: list[dict[str, Any]] = []

    async def search(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return await self._client.search(**kwargs)


def window(kind: str, now: datetime) -> tuple[datetime, datetime]:
    if kind == "filter":
        return now - timedelta(hours=6), now
    if kind == "loki count_over_time":
        return now - timedelta(hours=6), now
    return now - timedelta(hours=24), now


async def pipeline_for(kind: str, text: str, start: datetime, end: datetime, tenant_id: uuid.UUID) -> Any:
    """The PipelineQuery the API builds for this request (Loki: as LokiRead.range builds it)."""
    from src.domain.credentials import Principal, Scope
    from src.domain.logql.parser import MetricQuery, parse_logql
    from src.domain.querylang.language import parse_query
    from src.domain.querylang.table import PipelineQuery, PipelineRows
    from src.usecases.compat.loki_read import LokiRead

    if kind != "loki count_over_time":
        parsed = parse_query(text, now=end)
        return PipelineQuery(start=start, end=end, filter=parsed.filter, plan=parsed.plan)
    captured: list[PipelineQuery] = []

    class Capture:
        async def rows(self, *, principal: Any, query: PipelineQuery) -> tuple[PipelineRows, str]:
            captured.append(query)
            return PipelineRows(groups=[]), "capture"

    principal = Principal(tenant_id=tenant_id, subject="bench", scopes=frozenset({Scope.READ}), via="api_key")
    metric = parse_logql(text)
    assert isinstance(metric, MetricQuery), text  # this kind's queries are count_over_time
    await LokiRead(Capture()).range(  # type: ignore[arg-type]  # Capture stands in for the reader port
        principal=principal, query=metric, start=start, end=end, step=300
    )
    return captured[0]


async def measure(args: argparse.Namespace, stack: Stack, base_url: str, tenant: Any) -> list[KindResult]:
    from src.adapters.opensearch.search_index import OpenSearchIndex
    from src.adapters.postgres.engine import make_app_engine
    from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
    from src.domain.querylang.errors import UnsupportedQuery

    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    engine = os_client(stack.os_url)
    recorder = Recorder(engine)
    adapter = OpenSearchIndex(recorder)  # type: ignore[arg-type]
    pg_engine = make_app_engine(stack.backing.owner_url, pool_size=2)
    uow_factory = PostgresUnitOfWorkFactory(pg_engine)
    out = []
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=300.0) as client:
            for kind, text in KINDS.items():
                now = datetime.now(UTC)
                start, end = window(kind, now)
                result = KindResult(kind, text, f"{(end - start).total_seconds() / 3600:g} h")
                if kind == "loki count_over_time":
                    path = LOKI
                    params: dict[str, Any] = {
                        "query": text,
                        "start": str(int(start.timestamp())),
                        "end": str(int(end.timestamp())),
                        "step": "300",
                    }
                else:
                    path = "/api/v1/query"
                    params = {"q": text, "from": start.isoformat(), "to": end.isoformat()}
                query = await pipeline_for(kind, text, start, end, tenant.id)
                recorder.calls.clear()
                with contextlib.suppress(UnsupportedQuery):
                    await adapter.run_pipeline(tenant_id=tenant.id, query=query)
                bodies = list(recorder.calls)
                result.pages = len(bodies)
                warm = await client.get(path, params=params, headers=headers)  # untimed warm-up
                if warm.status_code != 200:
                    raise RuntimeError(f"{kind}: HTTP {warm.status_code} {warm.text[:300]}")
                result.source = warm.headers.get("x-logplane-source", "opensearch" if bodies else "postgres")
                started = time.perf_counter()
                for _ in range(args.requests):
                    if time.perf_counter() - started > args.budget:
                        break
                    sent = time.perf_counter()
                    response = await client.get(path, params=params, headers=headers)
                    result.api.append(time.perf_counter() - sent)
                    if response.status_code != 200:
                        raise RuntimeError(f"{kind}: HTTP {response.status_code} {response.text[:300]}")
                    if bodies:
                        sent = time.perf_counter()
                        took = 0.0
                        for call in bodies:
                            took += (await engine.search(**call))["took"] / 1000
                        result.direct.append(time.perf_counter() - sent)
                        result.took.append(took)
                pg_started = time.perf_counter()
                for _ in range(args.pg_requests):
                    if time.perf_counter() - pg_started > args.budget:
                        break
                    sent = time.perf_counter()
                    async with uow_factory() as uow:
                        await uow.act_as_tenant(tenant.id)
                        await uow.reader.run_pipeline(tenant_id=tenant.id, query=query)
                    result.postgres.append(time.perf_counter() - sent)
                log(
                    f"{kind}: API p50 {ms(pct(result.api, 50))} p95 {ms(pct(result.api, 95))} ms ({result.source});"
                    f" direct p95 {ms(pct(result.direct, 95))}; postgres p95 {ms(pct(result.postgres, 95))}"
                )
                out.append(result)
    finally:
        await engine.close()
        await pg_engine.dispose()
    return out


def ms(values_p: float | None) -> str:
    return "—" if values_p is None else f"{values_p * 1000:,.1f}"


def cell(text: str) -> str:
    """A query in a markdown table cell (its pipes would end the cell)."""
    return text.replace("|", "\\|")


def p(values: list[float], q: float) -> float | None:
    return pct(values, q) if values else None


def render(
    args: argparse.Namespace, command: str, loaded: int, stopped_by: str, load_s: float, results: list[KindResult]
) -> str:
    lines = [
        "## Query language (bench/query.py, real OpenSearch node)",
        "",
        f"`{command}` — {loaded:,} events in one tenant over the last 24 h (loaded in {load_s:,.0f} s"
        + (f", stopped by {stopped_by}" if stopped_by else "")
        + "), one client, sequential; milliseconds.",
        "",
        "| query | window | answered by | API p50 | API p95 | direct p50 | direct p95 | engine `took` p95 |"
        " API minus direct p95 | paired gap p50 / p95 | PostgreSQL p50 | PostgreSQL p95 | n (API / PG) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        overhead = None
        if r.direct:
            overhead = pct(r.api, 95) - pct(r.direct, 95)
        elif r.source == "postgres" and r.postgres:
            overhead = pct(r.api, 95) - pct(r.postgres, 95)
        # Each API request minus the direct replay right after it: less exposed to a noisy neighbour
        # than the difference of two p95s.
        gaps = [a - d for a, d in zip(r.api, r.direct, strict=False)]
        paired = f"{ms(p(gaps, 50))} / {ms(p(gaps, 95))}" if gaps else "—"
        lines.append(
            f"| `{cell(r.query)}` | {r.window} | {r.source}{f' ({r.pages} searches)' if r.pages > 1 else ''} |"
            f" {ms(p(r.api, 50))} | {ms(p(r.api, 95))} | {ms(p(r.direct, 50))} | {ms(p(r.direct, 95))} |"
            f" {ms(p(r.took, 95))} | {ms(overhead)} | {paired} | {ms(p(r.postgres, 50))} | {ms(p(r.postgres, 95))} |"
            f" {len(r.api)} / {len(r.postgres)} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p_ = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p_.add_argument("--events", type=int, default=1_000_000)
    p_.add_argument("--load-budget", type=float, default=480.0, help="seconds allowed for loading")
    p_.add_argument("--load-chunk", type=int, default=30_000)
    p_.add_argument("--load-concurrency", type=int, default=3)
    p_.add_argument("--heap", default="1g", help="JVM heap of the OpenSearch node")
    p_.add_argument("--requests", type=int, default=100, help="API (+ direct) requests per kind")
    p_.add_argument("--pg-requests", type=int, default=20, help="PostgreSQL fallback runs per kind")
    p_.add_argument("--budget", type=float, default=60.0, help="seconds per kind and per backend")
    p_.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "query.md")
    args = p_.parse_args(argv)
    # What SearchLoader reads from search.py's arguments.
    args.search_events = args.events
    args.max_osmem_rss = 1e12
    args.min_free_memory = 1_500.0
    args.skip_pg_load = False
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join(["python bench/query.py", *(sys.argv[1:] if argv is None else argv)])
    workdir = Path(tempfile.mkdtemp(prefix="logplane-query-bench-"))
    stack: Stack | None = None
    api: ApiServer | None = None
    try:
        stack = start_stack(workdir, "opensearch", args.heap)
        api = ApiServer(
            stack.backing,
            workers=1,
            log_path=workdir / "api.log",
            factory="bench.app_factory:create_app",
            extra_env=stack.env(),
        )
        api.wait_ready()
        tenant = asyncio.run(create_tenant(api.base_url, f"bench-query-{uuid.uuid4().hex[:6]}"))
        loader = SearchLoader(stack, tenant.id, args)
        asyncio.run(loader.load_until(args.events))
        log(
            f"loaded {loader.loaded:,} in {loader.seconds:.0f} s; index total {asyncio.run(index_total(stack.os_url)):,}"
        )
        wait_for_quiet(15.0)
        results = asyncio.run(measure(args, stack, api.base_url, tenant))
        report = render(args, command, loader.loaded, loader.stopped_by, loader.seconds, results)
        print(report)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n")
        return 0
    finally:
        if api is not None:
            api.stop()
        if stack is not None:
            stack.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
