"""The compiled-schema bulk decoder answers exactly as the per-event path (pydantic) does.

Whatever the batch, `bulk_drafts` must give the same drafts, and the same errors at the same
indexes, as decoding each line with orjson and validating it with `LogEventIn`; the fast path may
only decline (hand the batch to the per-event path), never decide differently.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from src.domain.errors import DomainError
from src.domain.logs import LogDraft
from src.entrypoints.http.batch_events import bulk_drafts, decode_lines
from src.entrypoints.http.body import RawBatch, batch_items
from src.entrypoints.http.schemas import draft_from

_TIMESTAMPS = [
    "2026-01-02T03:04:05Z",
    "2026-01-02T03:04:05.123456+02:00",
    "2026-01-02T03:04:05.1234567Z",  # more digits than microseconds: pydantic truncates
    "2026-01-02T03:04:05.9999995Z",
    "2026-01-02 03:04:05+00:00",
    "2026-01-02T03:04Z",
    "2026-01-02T03:04:05",  # naive
    "1969-12-31T23:59:59Z",
    "2026-13-02T03:04:05Z",
    "yesterday",
    "",
]
_LEVELS: list[Any] = ["info", "WARN", " error ", "bogus", 9, 30, "17", True, None, 1.5]
_TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\x00", "\ud800", "é", "😀"]), max_size=8)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_FIELD = st.one_of(_TEXT, st.none(), st.integers(), st.just("x" * 201))


@st.composite
def _event(draw: st.DrawFn) -> Any:
    event: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        event["message"] = draw(st.one_of(_TEXT, st.integers(), st.none())) if draw(st.integers(0, 5)) == 0 else "ok"
    if draw(st.booleans()):
        event["timestamp"] = draw(st.sampled_from([*_TIMESTAMPS, None, 1700000000]))
    for name in ("severity", "level"):
        if draw(st.integers(0, 3)) == 0:
            event[name] = draw(st.sampled_from(_LEVELS))
    for name in ("service", "host", "user_id", "action", "trace_id", "span_id", "id"):
        if draw(st.integers(0, 4)) == 0:
            event[name] = draw(_FIELD)
    if draw(st.booleans()):
        event["attributes"] = draw(st.one_of(st.dictionaries(_TEXT, _JSON, max_size=3), _JSON))
    if draw(st.integers(0, 15)) == 0:
        event["tenant_id"] = "someone-else"
    if draw(st.integers(0, 15)) == 0:
        return draw(_JSON)  # not an object at all
    return event


def _line(value: Any) -> bytes:
    # json (not orjson) can write lone surrogates as escapes, as a client's encoder may.
    return json.dumps(value).encode()


def _verdict(outcome: LogDraft | DomainError) -> Any:
    if isinstance(outcome, DomainError):
        return (type(outcome).__name__, outcome.code, outcome.message, outcome.details)
    return outcome


async def _per_event(raw: RawBatch) -> Any:
    try:
        items = await batch_items(raw, max_events=10_000)
    except DomainError as e:  # the whole body refused
        return _verdict(e)
    return [_verdict(item if isinstance(item, DomainError) else draft_from(item)) for item in items]


async def _compiled(raw: RawBatch) -> Any:
    try:
        return [_verdict(d) for d in await bulk_drafts(raw, max_events=10_000)]
    except DomainError as e:
        return _verdict(e)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_event(), min_size=1, max_size=6))
async def test_ndjson_batches_decide_as_the_per_event_path(events: list[Any]) -> None:
    raw = RawBatch(lines=[_line(e) for e in events])
    assert await _compiled(raw) == await _per_event(raw)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_event(), max_size=6))
async def test_json_arrays_decide_as_the_per_event_path(events: list[Any]) -> None:
    raw = RawBatch(array=_line(events))
    assert await _compiled(raw) == await _per_event(raw)


def test_a_clean_batch_takes_the_compiled_path() -> None:
    lines = [
        orjson.dumps(
            {
                "message": f"charge {i} declined",
                "timestamp": "2026-01-02T03:04:05.123Z",
                "level": "warn",
                "service": "billing",
                "trace_id": "ab" * 16,
                "attributes": {"order": {"id": i, "items": [1, 2.5, None, True]}, "big": 2**63},
                "id": f"evt-{i}",
            }
        )
        for i in range(3)
    ]
    drafts = decode_lines(lines)
    assert drafts is not None and [d.client_id for d in drafts] == ["id:evt-0", "id:evt-1", "id:evt-2"]
    assert drafts[1].attributes["order"]["id"] == 1 and drafts[0].severity.name == "WARN"


def test_a_line_holding_two_events_is_not_read_as_two() -> None:
    assert decode_lines([b'{"message": "a"}, {"message": "b"}']) is None
