"""`event_line_size` is exactly the length of `event_line`, for any event (the Parquet writer reports
the NDJSON size it stands for without building the line)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from src.domain.archive import event_line, event_line_size
from src.domain.logs import LogEvent
from src.domain.severity import Severity

TEXT = st.text(max_size=40)  # any code point: quotes, backslashes, control characters, emoji
OPTIONAL = st.none() | TEXT
TIMES = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC) | st.just(timezone(timedelta(hours=-5, minutes=-30))),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    timestamp=TIMES,
    received_at=TIMES,
    severity=st.sampled_from(list(Severity)),
    service=OPTIONAL,
    host=OPTIONAL,
    user_id=OPTIONAL,
    action=OPTIONAL,
    trace_id=OPTIONAL,
    span_id=OPTIONAL,
    message=TEXT,
    attributes=st.dictionaries(TEXT, JSON_VALUES, max_size=4),
    client_id=OPTIONAL,
)
def test_the_size_is_the_lines_length(**fields: object) -> None:
    event = LogEvent(id=uuid.uuid4(), tenant_id=uuid.uuid4(), **fields)  # type: ignore[arg-type]
    assert event_line_size(event) == len(event_line(event))
