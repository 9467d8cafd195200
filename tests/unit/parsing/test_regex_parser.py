from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from src.domain.errors import InvalidInput
from src.domain.parsing.regex_parser import MAX_PATTERN_LENGTH, RegexParser, compile_custom
from src.domain.severity import Severity

PATTERN = (
    r"^(?P<timestamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<severity>[A-Z]+) "
    r"\[(?P<service>[\w-]+)\] (?:user=(?P<user_id>\S+) )?(?P<module>[\w.]+): (?P<message>.*)$"
)


def test_named_groups_map_to_fields_and_attributes():
    parser = compile_custom("app", PATTERN)
    assert isinstance(parser, RegexParser)
    assert parser.name == "app"
    draft = parser.parse("2025-11-25 10:00:00,123 ERROR [billing] user=u-7 app.charge: card declined für Kunde")
    assert draft is not None
    assert draft.timestamp == datetime(2025, 11, 25, 10, 0, 0, 123000, tzinfo=UTC)
    assert draft.severity is Severity.ERROR
    assert (draft.service, draft.user_id) == ("billing", "u-7")
    assert draft.message == "card declined für Kunde"
    assert draft.attributes == {"module": "app.charge", "parser": "app"}


def test_unmatched_optional_group_is_left_out():
    draft = compile_custom("app", PATTERN).parse("2025-11-25 10:00:00,123 INFO [api] app.web: ok")
    assert draft is not None
    assert draft.user_id is None
    assert draft.attributes == {"module": "app.web", "parser": "app"}


def test_no_match_is_none():
    assert compile_custom("app", PATTERN).parse("something else entirely") is None


def test_without_message_group_the_whole_line_is_the_message():
    parser = compile_custom("kv", r"order=(?P<order_id>\d+)")
    draft = parser.parse("WARN shipped order=991 late")
    assert draft is not None
    assert draft.message == "WARN shipped order=991 late"
    assert draft.attributes == {"order_id": "991", "parser": "kv"}
    assert draft.severity is Severity.WARN  # inferred: the pattern has no severity group


def test_unparsable_timestamp_and_severity_are_kept_as_attributes():
    draft = compile_custom("x", r"^(?P<timestamp>\S+) (?P<severity>\S+) (?P<message>.*)").parse("yesterday loud hello")
    assert draft is not None
    assert draft.timestamp is None
    assert draft.attributes == {"timestamp": "yesterday", "severity": "loud", "parser": "x"}


def test_catastrophic_pattern_runs_in_linear_time():
    parser = compile_custom("evil", r"(?P<a>(a+)+$)")
    started = time.perf_counter()
    assert parser.parse("a" * 50_000 + "b") is None
    assert time.perf_counter() - started < 0.5


def test_non_ascii_and_replacement_characters_keep_group_boundaries():
    draft = compile_custom("u", r"^(?P<host>\S+) (?P<message>.+)$").parse("hôst-\ufffd déjà vu ✓")
    assert draft is not None
    assert (draft.host, draft.message) == ("hôst-\ufffd", "déjà vu ✓")


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"(?P<a>x(?=y))", "lookahead and lookbehind"),
        (r"(?P<a>(?<!x)y)", "lookahead and lookbehind"),
        (r"(?P<a>x)\1", "backreferences"),
        (r"(?P<a>x)(?P=a)", "backreferences"),
        (r"(?P<a>(?>x+))", "atomic groups"),
        (r"(?P<a>x++)", "possessive"),
        (r"(?P<a>x", "does not compile"),
        (r"no groups at all", "at least one named group"),
        (r"(unnamed) (groups)", "at least one named group"),
        (r"(?P<1st>x)", "not an identifier"),
        (r"(?P<parser>x)", "reserved"),
        ("", "empty"),
        ("(?P<a>x)" + "y" * MAX_PATTERN_LENGTH, "longer than"),
    ],
)
def test_invalid_patterns_are_refused_with_a_clear_message(pattern, says):
    with pytest.raises(InvalidInput) as caught:
        compile_custom("bad", pattern)
    assert caught.value.code == "invalid_pattern"
    assert says in caught.value.message
    if "RE2" in caught.value.message:
        assert "does not support" in caught.value.message
