"""`check_event`'s quick look (`_plainly_within`) never lets through what the rule-by-rule checks
refuse: for any event, either both accept it or the rules decide (and name the rule broken)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.domain.errors import DomainError
from src.domain.event_limits import EventLimits, _attributes_json, _check_content, _plainly_within, check_event
from src.domain.logs import LogDraft

# Small limits, so generated events cross every one of them; text of any code point, including
# U+0000, lone surrogates, spaces only, and the `:`, `{` and `[` the quick look counts.
LIMITS = EventLimits(
    max_message_bytes=24, max_field_chars=6, max_attribute_depth=3, max_attribute_keys=4, max_attributes_bytes=60
)
TEXT = st.text(max_size=12) | st.text(alphabet=" \x00:{[\ud800é", max_size=8) | st.sampled_from(["", " ", "a"])
OPTIONAL = st.none() | TEXT
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)


def _verdict(draft: LogDraft) -> str | None:
    try:
        _check_content(draft, LIMITS, _attributes_json(draft.attributes) if draft.attributes else None)
    except DomainError as e:
        return e.code
    return None


@settings(max_examples=600, deadline=None)
@given(
    message=TEXT,
    service=OPTIONAL,
    host=OPTIONAL,
    user_id=OPTIONAL,
    action=OPTIONAL,
    trace_id=OPTIONAL,
    span_id=OPTIONAL,
    client_id=OPTIONAL,
    attributes=st.dictionaries(TEXT, JSON_VALUES, max_size=5),
)
def test_the_quick_look_accepts_only_what_the_rules_accept(**fields: object) -> None:
    draft = LogDraft(**fields)  # type: ignore[arg-type]
    attributes_json = _attributes_json(draft.attributes) if draft.attributes else None
    if _plainly_within(draft, LIMITS, attributes_json):
        assert _verdict(draft) is None


def test_a_plain_event_takes_the_quick_look_and_a_bad_one_gets_the_rules_message() -> None:
    plain = LogDraft(message="disk full", service="db", attributes={"a": [1, 2], "b": "c"})
    assert _plainly_within(plain, LIMITS, _attributes_json(plain.attributes))
    now = datetime.now(UTC)
    assert check_event(plain, limits=LIMITS, now=now).timestamp == now
    for bad, code in [
        (LogDraft(message="   "), "message_required"),
        (LogDraft(message="x" * 25), "event_too_large"),
        (LogDraft(message="ok", host="h" * 7), "field_too_long"),
        (LogDraft(message="ok\x00"), "invalid_field"),
        (LogDraft(message="ok", attributes={"a": {"b": {"c": 1}}}), "attributes_too_deep"),
        (LogDraft(message="ok", attributes={str(n): n for n in range(5)}), "too_many_attributes"),
    ]:
        with pytest.raises(DomainError) as refused:
            check_event(bad, limits=LIMITS, now=now)
        assert refused.value.code == code
