"""Keeps a daily partition ready for every day an insert is about to touch."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.errors import translate_db_errors
from src.domain.ports.partition_maintainer import PartitionMaintainer

logger = logging.getLogger(__name__)

_ENSURE = text("SELECT logplane_ensure_log_partitions(:first, :last)")


class PostgresPartitionMaintainer(PartitionMaintainer):
    """Runs outside the ingest transaction (own short transaction), so DDL never holds up a batch.

    Days already seen are remembered in the process; the default partition catches anything that
    slips past, and the function moves such rows when it creates the day's partition later.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._ready: set[date] = set()

    async def ensure_days(self, days: Iterable[date]) -> None:
        missing = sorted(set(days) - self._ready)
        if not missing:
            return
        async with translate_db_errors(), self._engine.begin() as conn:
            # Contiguous runs keep it to one call for the common case of a few adjacent days.
            for first, last in _runs(missing):
                created = (await conn.execute(_ENSURE, {"first": first, "last": last})).scalar_one()
                if created:
                    logger.info("created %s log partition(s) for %s..%s", created, first, last)
        self._ready.update(missing)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
