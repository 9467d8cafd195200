"""What tenants and logs are told when something fails: a stable code and sentence, no event data."""

from __future__ import annotations

import logging

import pytest

from src.domain.credentials import Scope
from src.domain.errors import DependencyUnavailable
from src.domain.ports.task_queue import QueueMessage
from src.entrypoints.log_redaction import RedactingFilter, safe_traceback
from src.usecases.task_lifecycle import failure_text
from tests.unit.test_indexing_usecases import World, who

SECRET = "password=hunter2"
LEAKY = f"INSERT INTO logs (message) VALUES ($1)\n[parameters: ('{SECRET}',)]"


@pytest.fixture
def world() -> World:
    return World()


def test_a_driver_error_becomes_a_stable_sentence() -> None:
    text = failure_text("export", RuntimeError(LEAKY))
    assert text.startswith("internal_error: ") and "hunter2" not in text and "INSERT" not in text


def test_a_domain_error_keeps_its_code_and_message() -> None:
    error = DependencyUnavailable("the archive store is unavailable", code="archive_unavailable")
    assert failure_text("archive", error) == "archive_unavailable: the archive failed: the archive store is unavailable"


async def test_a_failed_task_shows_the_tenant_no_sql(world: World) -> None:
    await world.store(who(Scope.INGEST), 1)
    (message,) = await world.receive()

    async def refuse(events: object) -> object:
        raise RuntimeError(LEAKY)

    world.index.index = refuse  # type: ignore[method-assign]
    await world.worker.execute([QueueMessage(body=message.body, receipt="r", receive_count=3)])
    (task,) = world.uow.store.tasks.values()
    assert task.error_msg is not None and task.error_msg.startswith("internal_error: ")
    assert "hunter2" not in task.error_msg and "INSERT" not in task.error_msg


class _DriverError(Exception):
    sqlstate = "22P02"


_DriverError.__module__ = "asyncpg.exceptions"


def _raise_chained() -> BaseException:
    try:
        try:
            raise _DriverError(f"invalid input for query argument $1: '{SECRET}'")
        except _DriverError as e:
            raise ValueError("storing the batch failed") from e
    except ValueError as outer:
        return outer


def test_a_traceback_keeps_our_text_and_drops_the_drivers() -> None:
    text = safe_traceback(_raise_chained())
    assert "hunter2" not in text
    assert "asyncpg.exceptions._DriverError (SQLSTATE 22P02)" in text
    assert "ValueError: storing the batch failed" in text and "direct cause" in text


def test_the_filter_redacts_exception_arguments_and_exc_text() -> None:
    error = _raise_chained()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", (error.__cause__,), None)
    record.exc_info = (type(error), error, error.__traceback__)
    assert RedactingFilter().filter(record)
    assert "hunter2" not in record.getMessage() and "hunter2" not in (record.exc_text or "")
    assert "SQLSTATE 22P02" in record.getMessage()
