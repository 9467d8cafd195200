"""Engines for the two roles logplane connects as.

The app engine switches to the `logplane_app` role at connect time (a startup parameter, so no
extra round trip), which row-level security applies to. The owner engine runs migrations and the
platform's own maintenance.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from src.adapters.postgres.log_repository import STAGING_DDL, STAGING_TABLE

APP_ROLE = "logplane_app"

logger = logging.getLogger(__name__)


def prepare_staging(dbapi_connection: Any, record: Any) -> None:
    """Give each new app connection its ingest staging table (see `log_repository`).

    Run on the driver connection itself, outside any transaction, so a later rollback cannot take
    the table away. Where it cannot be made (a role without TEMP on the database), the connection
    goes without, and its writes take the plain INSERT path."""
    try:
        dbapi_connection.run_async(lambda driver: driver.execute(STAGING_DDL))
    except Exception as e:
        logger.debug("no ingest staging table on this connection: %s", e)
        return
    record.info[STAGING_TABLE] = True


def make_app_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        # Statement parameters are event bodies: never in an exception's text, hence never in a log.
        hide_parameters=True,
        # jsonb in C, and as ingest read it: jsonb prints a float like 1.5e300 as a 301-digit
        # integer, which orjson reads back as the float and the stdlib json as an int nothing encodes.
        json_deserializer=orjson.loads,
        connect_args={"server_settings": {"role": APP_ROLE, "timezone": "UTC"}},
    )
    event.listen(engine.sync_engine, "connect", prepare_staging)
    return engine


def make_owner_engine(url: str, *, pool_size: int = 2) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
        json_deserializer=orjson.loads,
        connect_args={"server_settings": {"timezone": "UTC"}},
    )
