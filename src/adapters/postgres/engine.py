"""Engines for the two roles logplane connects as.

The app engine switches to the `logplane_app` role at connect time (a startup parameter, so no
extra round trip), which row-level security applies to. The owner engine runs migrations and the
platform's own maintenance.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

APP_ROLE = "logplane_app"


def make_app_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        # Statement parameters are event bodies: never in an exception's text, hence never in a log.
        hide_parameters=True,
        connect_args={"server_settings": {"role": APP_ROLE, "timezone": "UTC"}},
    )


def make_owner_engine(url: str, *, pool_size: int = 2) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"server_settings": {"timezone": "UTC"}},
    )
