"""Shared by every benchmark: paths, credentials, logging, the machine, percentiles."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from src.adapters.postgres.log_repository import LOG_COLUMNS  # noqa: E402  (needs ROOT on sys.path)

HOST = "127.0.0.1"
ADMIN_TOKEN = "bench-admin-token-" + "a" * 40
JWT_SECRET = "bench-jwt-secret-" + "b" * 48
# What the benchmarks COPY straight into `logs` (the raw baseline, preloads), in this order. (The ingest
# adapter COPYs into its staging table, with other types: see `log_repository.STAGING_DDL`.)
COPY_COLUMNS = LOG_COLUMNS
SEVERITY_NUMBERS = {"debug": 5, "info": 9, "warn": 13, "error": 17}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def script_setup(*, uvloop: bool = True) -> None:
    """What a benchmark's `main` does first: SIGTERM ends it through SystemExit (so its `finally`
    blocks stop what it started), and with `uvloop` asyncio runs on uvloop, as the API does."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if uvloop:
        with contextlib.suppress(ImportError):  # uvicorn[standard] brings it
            import uvloop as loop

            loop.install()


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (values in seconds or ms, unchanged)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


def server_version(owner_url: str) -> str:
    async def fetch() -> str:
        conn = await asyncpg.connect(asyncpg_dsn(owner_url))
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(fetch())


# Command-line values shared by the scripts' argument parsers.


def int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def float_list(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def write_keeping(path: Path, report: str, marker: str) -> None:
    """Write a results file, keeping what a person wrote in it from `marker` on (the analysis)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = ""
    if path.exists():
        old = path.read_text()
        at = old.find(marker)
        if at >= 0:
            kept = old[at:]
    path.write_text(report.rstrip() + "\n" + (kept or marker + "\n"))
