"""Engines on the test database, as the app and the platform's own maintenance connect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.postgres.engine import make_app_engine, make_owner_engine


async def _disposed(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def app_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    async for engine in _disposed(make_app_engine(postgres_url)):
        yield engine


@pytest.fixture
async def owner_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    async for engine in _disposed(make_owner_engine(postgres_url)):
        yield engine
