"""Runs the Alembic migrations that ship inside this package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_MIGRATIONS = Path(__file__).parent / "migrations"


def _config(owner_url: str, *, timescaledb: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    # ConfigParser treats '%' specially; URLs with escaped passwords contain it.
    config.set_main_option("sqlalchemy.url", owner_url.replace("%", "%%"))
    config.attributes["timescaledb"] = timescaledb
    return config


def upgrade(owner_url: str, *, revision: str = "head", timescaledb: str = "auto") -> None:
    """Blocking: call from a thread when an event loop is running (env.py starts its own)."""
    command.upgrade(_config(owner_url, timescaledb=timescaledb), revision)


def downgrade(owner_url: str, *, revision: str = "base") -> None:
    command.downgrade(_config(owner_url, timescaledb="auto"), revision)
