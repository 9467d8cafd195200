"""Bulk writes of several tenants at once through one group-commit writer, in process.

    python bench/group_commit_tenants.py [--tenants 4] [--requests 10] [--events 2000] [--runs 3]

Each tenant's client sends `--requests` batches of `--events` benchmark events through `IngestLogs`
as the API builds it, all clients at once, so the writer's groups mix tenants. It reports the
client's and PostgreSQL's CPU per event (see `bench/ingest_stages.py` for why CPU), the rate, and how
many groups failed and were retried one request at a time (the writer logs each). Run it in two
checkouts to compare them: before 3 Dec 2026 every group of several tenants failed on the staged
rows of the tenant before it and fell back to one transaction per request.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/group_commit_tenants.py`

from bench.harness.common import script_setup
from bench.harness.cpu import postgres_cpu
from bench.harness.data import make_events
from bench.harness.stack import Backing, in_process_ingest, on_postgres


class _Retries(logging.Handler):
    """Counts the writer's "retrying one by one" warnings: one per failed group."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying one by one" in record.getMessage():
            self.count += 1


async def _measure(backing: Backing, args: argparse.Namespace) -> None:
    from src.domain.credentials import Principal, Scope
    from src.entrypoints.http.batch_events import decode_lines
    from src.usecases.ingest_logs import IngestLogs, IngestRequest

    retries = _Retries()
    logging.getLogger("src.usecases.group_commit").addHandler(retries)
    drafts = decode_lines([orjson.dumps(e) for e in make_events(args.events)])
    assert drafts is not None, "the compiled schema refused the benchmark's events"
    principals = [
        Principal(tenant_id=uuid.uuid4(), subject="bench", scopes=frozenset({Scope.INGEST}), via="api_key")
        for _ in range(args.tenants)
    ]

    async def client(ingest: IngestLogs, principal: Principal, requests: int) -> None:
        for _ in range(requests):
            result = await ingest.execute(IngestRequest(principal=principal, items=list(drafts)))
            assert result.accepted == len(drafts), result.outcomes[:3]

    async with in_process_ingest(backing.owner_url) as ingest:
        await client(ingest, principals[0], 2)  # warm-up: connections, staging tables, caches
        events = args.tenants * args.requests * len(drafts)
        for _ in range(args.runs):
            retries.count = 0
            cpu, pg, started = time.process_time(), postgres_cpu(), time.perf_counter()
            await asyncio.gather(*(client(ingest, p, args.requests) for p in principals))
            seconds = time.perf_counter() - started
            print(
                f"client {(time.process_time() - cpu) / events * 1e6:.2f} µs/event, "
                f"postgres {(postgres_cpu() - pg) / events * 1e6:.2f} µs/event, {events / seconds:,.0f} events/s, "
                f"groups retried one by one: {retries.count}",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=4, help="tenants writing at once")
    parser.add_argument("--requests", type=int, default=10, help="batches per tenant per run")
    parser.add_argument("--events", type=int, default=2000, help="events per batch")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    script_setup()
    print(
        f"Command: `python bench/group_commit_tenants.py --tenants {args.tenants} --requests {args.requests}"
        f" --events {args.events} --runs {args.runs}`"
    )
    on_postgres("logplane-tenants-", lambda backing: _measure(backing, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
