"""The workers `logplane worker <name|all>` knows. Each is `async main(settings, stop)`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from src.entrypoints.settings import Settings
from workers import alerts, anomalies, archive, cleanup, export, index, ingest, maintenance

WorkerMain = Callable[[Settings, asyncio.Event], Awaitable[None]]

WORKERS: dict[str, WorkerMain] = {
    "anomalies": anomalies.main,
    "alerts": alerts.main,
    "archive": archive.main,
    "cleanup": cleanup.main,
    "export": export.main,
    "index": index.main,
    "ingest": ingest.main,
    "maintenance": maintenance.main,
}
