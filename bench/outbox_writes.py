"""CPU per event of the two records a group commit writes beside its rows, in their old and new form.

    python bench/outbox_writes.py [--events 5000] [--commits 40] [--runs 5]

Each group commit writes, per tenant, a `reindex` task (the outbox) and a `log_commits` entry (the
commit order). Until the ninth pass the task's payload listed every id again; it now names the
commit by its lowest and highest id (`CommitSpan`). And the entry's `log_ids` array was compressed
with pglz on its way out of line; migration 0014 stores it uncompressed. This script writes both
forms of each, alternated in one database, as the owner in one transaction per commit, and reports
the client's CPU (`time.process_time`) and PostgreSQL's (every postgres process, from /proc) per
event: the median of `--runs` rounds of `--commits` commits of `--events` ids. PostgreSQL's CPU is
read in clock ticks (10 ms), so a round must be long enough: the defaults give 200,000 events a
round, 0.05 µs an event a tick.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/outbox_writes.py`

from bench.harness.common import asyncpg_dsn, script_setup
from bench.harness.cpu import postgres_cpu
from bench.harness.stack import on_postgres

_TASK = (
    "INSERT INTO async_task (task_id, tenant_id, task_type, status, payload) "
    "VALUES ($1, $2, 'reindex', 'pending', $3::jsonb)"
)
_COMMIT = "INSERT INTO log_commits (tenant_id, min_id, max_id, log_ids) VALUES ($1, $2, $3, $4::uuid[])"
_STORAGE = "ALTER TABLE log_commits ALTER COLUMN log_ids SET STORAGE {}"


async def _measure(owner_url: str, args: argparse.Namespace) -> dict[str, list[tuple[float, float]]]:
    from src.domain.commit_order import CommitSpan
    from src.domain.ids import new_ids

    conn = await asyncpg.connect(asyncpg_dsn(owner_url))
    tenant, ids = uuid.uuid4(), new_ids(args.events)
    bounds = {"from": "2026-12-03T12:00:00Z", "to": "2026-12-03T12:00:01Z", "count": args.events}

    def listing() -> str:  # the old payload, as group commit built it (ids as text, then the JSON)
        strings = orjson.loads(orjson.dumps(ids))
        return orjson.dumps({"log_ids": strings, **bounds}).decode()

    def naming() -> str:
        return orjson.dumps({"commit": CommitSpan.of(ids).to_payload(), **bounds}).decode()

    async def task(payload: Callable[[], str]) -> None:
        await conn.execute(_TASK, uuid.uuid4(), tenant, payload())

    async def entry() -> None:
        span = CommitSpan.of(ids)
        await conn.execute(_COMMIT, tenant, span.lowest, span.highest, ids)

    async def timed(
        name: str, write: Callable[[], Awaitable[None]], into: dict[str, list[tuple[float, float]]]
    ) -> None:
        client, server = time.process_time(), postgres_cpu()
        for _ in range(args.commits):
            async with conn.transaction():
                await write()
        events = args.commits * args.events
        spent = ((time.process_time() - client) / events * 1e6, (postgres_cpu() - server) / events * 1e6)
        into.setdefault(name, []).append(spent)

    found: dict[str, list[tuple[float, float]]] = {}
    try:
        for run in range(args.runs + 1):  # the first round warms up
            into: dict[str, list[tuple[float, float]]] = found if run else {}
            await timed("task listing its ids", lambda: task(listing), into)
            await timed("task naming its commit", lambda: task(naming), into)
            await conn.execute(_STORAGE.format("EXTENDED"))
            await timed("commit ids, pglz", entry, into)
            await conn.execute(_STORAGE.format("EXTERNAL"))
            await timed("commit ids, uncompressed", entry, into)
        sizes = await conn.fetch(
            "SELECT coalesce(pg_column_compression(log_ids), 'none') AS method, avg(pg_column_size(log_ids)) AS size "
            "FROM log_commits GROUP BY 1 ORDER BY 1"
        )
        for row in sizes:
            print(f"log_ids stored ({row['method']}): {float(row['size']) / args.events:.1f} bytes an event")
        payloads = await conn.fetch(
            "SELECT payload ? 'log_ids' AS listing, avg(pg_column_size(payload)) AS size FROM async_task GROUP BY 1"
        )
        for row in payloads:
            form = "listing its ids" if row["listing"] else "naming its commit"
            print(f"task payload stored ({form}): {float(row['size']) / args.events:.2f} bytes an event")
    finally:
        await conn.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="ids per commit")
    parser.add_argument("--commits", type=int, default=40, help="commits per round and form")
    parser.add_argument("--runs", type=int, default=5, help="rounds; each figure is their median")
    args = parser.parse_args(argv)
    script_setup()
    found = on_postgres("logplane-outbox-", lambda backing: _measure(backing.owner_url, args))
    print(
        f"Command: `python bench/outbox_writes.py --events {args.events} --commits {args.commits} --runs {args.runs}`"
    )
    print("| Write | client µs/event | PostgreSQL µs/event |")
    print("|---|---:|---:|")
    for name, samples in found.items():
        client = statistics.median(s[0] for s in samples)
        server = statistics.median(s[1] for s in samples)
        print(f"| {name} | {client:.2f} | {server:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
