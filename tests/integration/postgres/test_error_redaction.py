"""A database error's text never carries statement parameters (event bodies) into a log line."""

from __future__ import annotations

import io
import logging
import traceback

import pytest
from sqlalchemy import text

from src.adapters.postgres.engine import make_app_engine
from src.entrypoints.log_redaction import RedactingFilter
from src.entrypoints.logging_setup import JsonFormatter

SECRET = "card 4111-1111-1111-1111 of alice"


def _log_line(exc: BaseException) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("statement failed: %s", exc, exc_info=exc)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("statement", "quoted_by_driver"),
    [
        ("SELECT CAST(:body AS integer)", True),  # asyncpg quotes the argument it could not encode
        ("SELECT CAST(:body AS text) || chr(0)", False),  # SQLAlchemy would append [parameters: …]
        ("SELECT length(:body) + 'x'", False),
    ],
)
async def test_a_real_database_error_logs_no_parameter(
    postgres_url: str, statement: str, quoted_by_driver: bool
) -> None:
    engine = make_app_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(Exception) as caught:
                await conn.execute(text(statement), {"body": SECRET})
    finally:
        await engine.dispose()
    if quoted_by_driver:  # the case the filter exists for: the exception's own text holds the body
        assert "4111" in "".join(traceback.format_exception(caught.value))
    line = _log_line(caught.value)
    assert "Traceback" in line and "SQLSTATE" in line  # still useful: where, which error class and code
    assert "4111" not in line and "alice" not in line, line
