#!/usr/bin/env python
"""Raw-line ingest through the API (`POST /api/v1/logs/raw`, auto-detected formats) next to bulk
NDJSON of the same number of events, in the same run against the same database.

    python bench/raw_ingest.py [--events N] [--batch 5000] [--clients 4]

The raw lines mix the formats shippers send (nginx combined, JSON lines, RFC 5424 syslog, logfmt,
unstructured lines with a Java stack trace now and then), so the figure includes parsing and
multi-line joining; the NDJSON side is the native bulk path with structured events.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as `python bench/raw_ingest.py`

from bench.harness import ApiServer, count_rows, create_tenant, start_backing


def raw_lines(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        i = len(out)
        kind = i % 5
        if kind == 0:
            ip = f"10.0.{rng.randrange(256)}.{rng.randrange(256)}" if i % 7 else "2001:db8::7"
            status = rng.choice([200, 200, 200, 304, 404, 500])
            out.append(
                f'{ip} - - [24/Nov/2026:10:{i % 60:02d}:{i % 59:02d} +0000] "GET /api/orders/{i} HTTP/1.1" '
                f'{status} {rng.randrange(200, 9000)} "-" "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"'
            )
        elif kind == 1:
            out.append(
                orjson.dumps(
                    {
                        "ts": "2026-11-24T10:00:00.123Z",
                        "level": rng.choice(["info", "warn", "error"]),
                        "msg": f"order {i} processed",
                        "service": "orders",
                        "duration_ms": rng.randrange(900),
                    }
                ).decode()
            )
        elif kind == 2:
            out.append(
                f"<134>1 2026-11-24T10:00:01.003Z web-{i % 4} nginx {1000 + i % 50} ID47 "
                f'[meta@32473 req="{i}" region="eu"] upstream response in {rng.randrange(900)} ms'
            )
        elif kind == 3:
            out.append(f'ts=2026-11-24T10:00:02Z level=info msg="cache refresh" keys={rng.randrange(5000)} svc=cache')
        elif i % 50 == 4:
            out += [
                "2026-11-24 10:00:03 ERROR worker crashed",
                "java.lang.IllegalStateException: queue closed",
                "\tat com.acme.Queue.take(Queue.java:88)",
                "\tat com.acme.Worker.run(Worker.java:41)",
            ]
        else:
            out.append(f"2026-11-24 10:00:03 INFO heartbeat {i} ok")
    return out[:n]


async def post_all(base: str, key: str, path: str, content_type: str, bodies: list[bytes], clients: int) -> float:
    queue = list(bodies)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                response = await client.post(
                    path, content=body, headers={"Authorization": f"Bearer {key}", "Content-Type": content_type}
                )
                if response.status_code != 201:
                    raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="logplane-raw-bench-"))
    backing = start_backing(workdir)
    api = ApiServer(
        backing, workers=1, log_path=workdir / "api.log", factory="bench.app_factory:create_app", extra_env={}
    )
    try:
        api.wait_ready()
        lines = raw_lines(args.events)
        raw_bodies = ["\n".join(lines[i : i + args.batch]).encode() for i in range(0, len(lines), args.batch)]
        ndjson = [orjson.dumps({"message": f"order {i} processed", "service": "orders"}) for i in range(args.events)]
        nd_bodies = [b"\n".join(ndjson[i : i + args.batch]) for i in range(0, len(ndjson), args.batch)]
        raw_tenant = asyncio.run(create_tenant(api.base_url, "raw-bench"))
        nd_tenant = asyncio.run(create_tenant(api.base_url, "ndjson-bench"))
        nd_seconds = asyncio.run(
            post_all(
                api.base_url, nd_tenant.api_key, "/api/v1/logs/bulk", "application/x-ndjson", nd_bodies, args.clients
            )
        )
        raw_seconds = asyncio.run(
            post_all(api.base_url, raw_tenant.api_key, "/api/v1/logs/raw", "text/plain", raw_bodies, args.clients)
        )
        stored = asyncio.run(count_rows(backing.owner_url, raw_tenant.id))
        events = stored
        print("| path | events | seconds | events/s |\n|---|---:|---:|---:|")
        print(f"| bulk NDJSON (structured) | {args.events:,} | {nd_seconds:.2f} | {args.events / nd_seconds:,.0f} |")
        print(
            f"| raw lines, auto-detected | {events:,} (from {len(lines):,} lines) | {raw_seconds:.2f} | {events / raw_seconds:,.0f} |"
        )
        print(f"\nraw / bulk: {(events / raw_seconds) / (args.events / nd_seconds):.2f}")
    finally:
        api.stop()
        backing.close()


if __name__ == "__main__":
    main()
