#!/usr/bin/env python
"""Rate-limit counting, in one process against one Redis: slowapi's synchronous storage (as slowapi
calls it per request: `hit`, then `get_window_stats` for the headers) against `TenantLimiter.count`
(the `limits` async storage on redis.asyncio, concurrent requests sharing an INCRBY).

    python bench/rate_limit.py [--requests 20000] [--concurrency 32] [--repeat 3]

Per request: CPU microseconds of this process (`time.process_time`) and the event loop's blocked time
(the synchronous calls block it for their whole round trip; awaited calls do not). The figures
that decide single-POST throughput with limiting on are the CPU per request and the blocked time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/rate_limit.py`

from bench.harness import log, machine, start_redis


async def run_sync(redis_url: str, n: int, concurrency: int) -> tuple[float, float]:
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    limiter = FixedWindowRateLimiter(storage_from_string(redis_url))
    item = parse("100000000/minute")
    per_task = n // concurrency

    async def one() -> None:
        for _ in range(per_task):
            limiter.hit(item, "tenant-sync", "tenant")
            limiter.get_window_stats(item, "tenant-sync", "tenant")
            await asyncio.sleep(0)  # the request's other awaits

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6


async def run_async(redis_url: str, n: int, concurrency: int) -> tuple[float, float]:
    from limits import parse

    from src.entrypoints.http.rate_limit import TenantLimiter, async_storage_uri, tenant_key

    limiter = TenantLimiter(async_storage_uri=async_storage_uri(redis_url), key_func=tenant_key)
    item = parse("100000000/minute")
    per_task = n // concurrency

    async def one() -> None:
        for _ in range(per_task):
            await limiter.count(item, "tenant-async", "tenant")
            await asyncio.sleep(0)

    await limiter.count(item, "tenant-async", "tenant")  # connect and load the script first
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20_000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    cleanups: list[Callable[[], None]] = []
    try:
        redis_url = start_redis(cleanups)
        rows: dict[str, list[tuple[float, float]]] = {"sync (slowapi today)": [], "async (TenantLimiter)": []}
        for _ in range(args.repeat):
            rows["sync (slowapi today)"].append(asyncio.run(run_sync(redis_url, args.requests, args.concurrency)))
            rows["async (TenantLimiter)"].append(asyncio.run(run_async(redis_url, args.requests, args.concurrency)))
        print(f"Machine: {machine()}; {args.requests} counts, {args.concurrency} concurrent, {args.repeat} rounds\n")
        print("| Counting | CPU µs/request, rounds | median | wall µs/request, rounds | median |")
        print("|---|---|---:|---|---:|")
        for name, runs in rows.items():
            cpu = [r[0] for r in runs]
            wall = [r[1] for r in runs]
            print(
                f"| {name} | {' / '.join(f'{c:.0f}' for c in cpu)} | {statistics.median(cpu):.0f} "
                f"| {' / '.join(f'{w:.0f}' for w in wall)} | {statistics.median(wall):.0f} |"
            )
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as e:
                log(f"cleanup failed: {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
