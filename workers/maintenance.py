"""`logplane worker maintenance`: partitions ahead of time and expiry of idempotency claims."""

from __future__ import annotations

import asyncio

from src.adapters.postgres.idempotency_janitor import PostgresIdempotencyJanitor
from src.adapters.postgres.partitions import PostgresPartitionMaintainer
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.maintain_storage import MaintainStorage
from workers.runner import run_periodic

INTERVAL_SECONDS = 600.0


async def main(settings: Settings, stop: asyncio.Event) -> None:
    container = build_container(settings)
    try:
        use_case = MaintainStorage(
            PostgresPartitionMaintainer(container.app_engine), PostgresIdempotencyJanitor(container.owner_engine)
        )
        await run_periodic("maintenance", use_case.execute, every=INTERVAL_SECONDS, stop=stop)
    finally:
        await container.close()
