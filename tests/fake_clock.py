"""`pytest -p tests.fake_clock --fake-clock=HH:MM`: run the tests with this process's clock moved to
that UTC time of day (`make test-clock` runs 00:05 and 23:55), to prove they pass at any hour.

The moment chosen is the latest one at that time of day not after the real now, so the faked clock
is never ahead of the servers the tests start (their clocks are real); it ticks on from there.
Processes the tests spawn keep the real clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

_traveller: Any = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fake-clock", default=None, metavar="HH:MM", help="run at this UTC time of day")


def moment_at(time_of_day: str, now: datetime) -> datetime:
    hour, minute = (int(part) for part in time_of_day.split(":"))
    candidate = datetime.combine(now.date(), time(hour, minute), UTC)
    return candidate if candidate <= now else candidate - timedelta(days=1)


def pytest_configure(config: pytest.Config) -> None:
    global _traveller
    wanted = config.getoption("--fake-clock")
    if not wanted:
        return
    import time_machine

    target = moment_at(wanted, datetime.now(UTC))
    _traveller = time_machine.travel(target, tick=True)
    _traveller.start()


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"fake clock: {datetime.now(UTC).isoformat()}" if _traveller is not None else None


def pytest_unconfigure(config: pytest.Config) -> None:
    if _traveller is not None:
        _traveller.stop()
