"""The one rule for text PostgreSQL cannot store, as every event and name meets it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from src.domain.errors import InvalidEvent
from src.domain.event_limits import EventLimits, check_event
from src.domain.logs import LogDraft
from src.domain.text import is_storable, sanitised, unstorable_path

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
FINE = LogDraft(message="fine", attributes={"k": ["v", {"deep": "x"}]})


@pytest.mark.parametrize("bad", ["a\x00b", "lone \ud800", "\udfff"])
@pytest.mark.parametrize(
    "field", ["message", "service", "host", "user_id", "action", "trace_id", "span_id", "client_id"]
)
def test_an_event_with_unstorable_text_in_any_field_is_refused(field: str, bad: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        check_event(replace(FINE, **{field: bad}), limits=EventLimits(), now=NOW)
    assert refused.value.code == "invalid_field" and refused.value.details == {"field": field}


@pytest.mark.parametrize(
    ("attributes", "where"),
    [
        ({"k": "a\x00"}, "attributes.k"),
        ({"k": ["ok", {"deep": "\ud800"}]}, "attributes.k[1].deep"),
        ({"bad\x00key": 1}, "attributes.(key)"),
        ({"outer": {"bad\ud800": 1}}, "attributes.outer"),
    ],
)
def test_the_refusal_names_where_in_the_attributes(attributes: dict[str, object], where: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        check_event(replace(FINE, attributes=attributes), limits=EventLimits(), now=NOW)
    assert refused.value.details == {"field": where}
    assert unstorable_path(FINE.attributes) is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("plain", "plain"),
        ("nul \x00 byte", "nul \ufffd byte"),
        ("escaped \udcff byte", "escaped \ufffd byte"),  # surrogateescape: one U+FFFD per original byte
        ("lone \ud800 high", "lone \ufffd high"),
        ("é \x00 \ud800", "é \ufffd \ufffd"),
    ],
)
def test_raw_text_is_sanitised_to_storable_text(given: str, kept: str) -> None:
    assert sanitised(given) == kept and is_storable(kept)
