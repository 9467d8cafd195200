"""Stage 2 of bench/patterns.py (`--api`): Loghub-2k through the real platform, not in-process.

An embedded stack as the other benchmarks start it (PostgreSQL, moto SQS, osmem, Redis; the API
under uvicorn and the index worker as child processes — bench/search.py's `start_stack`,
`ApiServer`, `WorkerProcess`). Per system: its raw `<Name>_2k.log` lines go to
`POST /api/v1/logs/raw?parser=raw&service=<Name>` (one tenant, one service per system), the index
worker mines them off the acknowledgement path, and every event's `pattern_id` is read back through
`GET /api/v1/logs?service=<Name>` (cursor pages); templates come from `GET /api/v1/patterns`
(aliases followed to their survivor). Grouping and parsing accuracy as in stage 1. The mining rate
is the miner's own CPU time as the worker logs it per batch (`mined N events in X s CPU`: masking,
tree, merge — not PostgreSQL or indexing), and beside it the worker process's whole CPU time per
event (mining + database + indexing).
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.harness import ApiServer, create_tenant
from bench.patterns_accuracy import grouping_accuracy, parsing_accuracy
from bench.search import WorkerProcess, start_stack

_MINED = re.compile(r"mined (\d+) events in ([0-9.]+) s CPU")
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class ApiRow:
    name: str
    kind: str
    lines: int
    events: int
    grouping: float
    parsing: float
    seconds: float


async def _ingest(client: httpx.AsyncClient, headers: dict[str, str], service: str, lines: list[str]) -> list[str]:
    """The event id of each line (a line joined into the event before it shares that event)."""
    ids: list[str | None] = [None] * len(lines)
    for start in range(0, len(lines), CHUNK):
        body = "\n".join(lines[start : start + CHUNK]) + "\n"
        response = await client.post(
            "/api/v1/logs/raw",
            params={"parser": "raw", "service": service},
            content=body.encode(),
            headers={**headers, "Content-Type": "text/plain"},
        )
        if response.status_code not in (201, 207):
            raise RuntimeError(f"{service}: raw ingest answered {response.status_code}: {response.text[:300]}")
        items = response.json()["items"]
        first = min(item["line"] for item in items)  # 0- or 1-based, whichever the API counts from
        for item in items:
            ids[start + item["line"] - first] = item["id"]
    out: list[str] = []
    for i, event_id in enumerate(ids):
        out.append(event_id if event_id is not None else out[i - 1])
    return out


async def _pattern_ids(
    client: httpx.AsyncClient, headers: dict[str, str], service: str, expected: int, within: float
) -> dict[str, str]:
    """Event id → pattern id, once every event of the service is searchable with one."""
    deadline = time.monotonic() + within
    while True:
        found: dict[str, str] = {}
        cursor = ""
        while True:
            response = await client.get(
                "/api/v1/logs",
                params={"service": service, "q": "pattern_id:*", "page_size": 1000, "cursor": cursor},
                headers=headers,
            )
            response.raise_for_status()
            body = response.json()
            found.update((e["id"], e["pattern_id"]) for e in body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                break
        if len(found) >= expected:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service}: only {len(found)} of {expected} events mined within {within:g} s")
        await asyncio.sleep(0.5)


async def _templates(
    client: httpx.AsyncClient, headers: dict[str, str], service: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(pattern id → template, alias → survivor) for the service."""
    response = await client.get(
        "/api/v1/patterns",
        params={"service": service, "from": "1970-01-01T00:00:00Z", "to": "now+1d", "limit": 1000},
        headers=headers,
    )
    response.raise_for_status()
    templates: dict[str, str] = {}
    survivor: dict[str, str] = {}
    for p in response.json()["items"]:
        templates[p["id"]] = p["template"]
        survivor.update((alias, p["id"]) for alias in p["aliases"])
    return templates, survivor


async def _system(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, kind: str, lines: list[str], truth: list[str]
) -> ApiRow:
    started = time.monotonic()
    event_of_line = await _ingest(client, headers, name, lines)
    events = len(set(event_of_line))
    pattern_of_event = await _pattern_ids(client, headers, name, events, within=600)
    seconds = time.monotonic() - started
    templates, survivor = await _templates(client, headers, name)
    ids = [survivor.get(pattern_of_event[e], pattern_of_event[e]) for e in event_of_line]
    predicted = [templates.get(i, "") for i in ids]
    return ApiRow(
        name, kind, len(lines), events, grouping_accuracy(truth, ids), parsing_accuracy(truth, predicted), seconds
    )


def _mining_rate(worker: WorkerProcess) -> tuple[int, float]:
    lines = cpu = 0.0
    for entry in worker.log_lines():
        found = _MINED.search(str(entry.get("message", "")))
        if found:
            lines += int(found.group(1))
            cpu += float(found.group(2))
    return int(lines), cpu


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    import os

    return ticks / os.sysconf("SC_CLK_TCK")


def run_api(systems: Sequence[tuple[str, str, list[str], list[str]]]) -> tuple[list[ApiRow], dict[str, Any]]:
    """Rows per system, and the run's totals (mining rate, worker CPU per event)."""
    with tempfile.TemporaryDirectory(prefix="bench-patterns-") as tmp:
        workdir = Path(tmp)
        stack = start_stack(workdir)
        api = worker = None
        try:
            api = ApiServer(
                stack.backing, workers=1, log_path=workdir / "api.log", factory="bench.app_factory:create_app",
                extra_env=stack.env(),
            )  # fmt: skip
            worker = WorkerProcess(stack, workdir / "worker.log")
            api.wait_ready()
            tenant = asyncio.run(create_tenant(api.base_url, f"bench-patterns-{uuid.uuid4().hex[:6]}"))
            headers = {"Authorization": f"Bearer {tenant.api_key}"}
            cpu_before = _process_cpu(worker.pid)

            async def all_systems() -> list[ApiRow]:
                async with httpx.AsyncClient(base_url=api.base_url, timeout=120.0) as client:
                    rows = []
                    for name, kind, lines, truth in systems:
                        rows.append(await _system(client, headers, name, kind, lines, truth))
                        r = rows[-1]
                        print(
                            f"  {name}: grouping {r.grouping:.3f}, parsing {r.parsing:.3f} ({r.seconds:.1f} s)",
                            flush=True,
                        )
                    return rows

            rows = asyncio.run(all_systems())
            worker_cpu = _process_cpu(worker.pid) - cpu_before
            mined, mining_cpu = _mining_rate(worker)
            totals = {
                "mined": mined,
                "mining_cpu": mining_cpu,
                "worker_cpu": worker_cpu,
                "events": sum(r.events for r in rows),
            }
            return rows, totals
        finally:
            if worker is not None:
                worker.stop()
            if api is not None:
                api.stop()
            stack.close()
