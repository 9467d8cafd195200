"""Translate database failures into domain errors at the adapter boundary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from src.domain.errors import DependencyUnavailable


@asynccontextmanager
async def translate_db_errors() -> AsyncIterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError, OSError) as e:
        raise DependencyUnavailable(
            "the database is unavailable", code="database_unavailable", details={"dependency": "postgres"}
        ) from e
    except DBAPIError as e:
        if e.connection_invalidated:
            raise DependencyUnavailable(
                "the database connection was lost",
                code="database_unavailable",
                details={"dependency": "postgres"},
            ) from e
        raise


def lost_database(e: BaseException) -> DependencyUnavailable | None:
    """The domain error for an exception that means the database went away, else None."""
    if isinstance(e, OperationalError | InterfaceError | OSError) or (
        isinstance(e, DBAPIError) and e.connection_invalidated
    ):
        return DependencyUnavailable(
            "the database connection was lost", code="database_unavailable", details={"dependency": "postgres"}
        )
    return None
