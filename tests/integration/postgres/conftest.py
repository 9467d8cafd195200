"""Engines on the test database, as the app and the platform's own maintenance connect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.engine import make_app_engine, make_owner_engine


@pytest.fixture
async def app_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_app_engine(postgres_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def owner_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_owner_engine(postgres_url)
    try:
        yield engine
    finally:
        await engine.dispose()
