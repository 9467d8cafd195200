"""`pattern_id:X` widened to X's aliases, wherever it sits in the filter."""

from __future__ import annotations

from datetime import UTC, datetime

from src.domain.patterns.expand import named_patterns, with_members
from src.domain.querylang.ast import And, Equals, Not, Or
from src.domain.querylang.language import parse_filter

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def test_named_patterns_are_found_under_not_and_or() -> None:
    expr = parse_filter("(pattern_id:aa OR -pattern_id:bb) service:api", now=NOW, where="test")
    assert named_patterns(expr) == {"aa", "bb"}
    assert named_patterns(parse_filter("service:api", now=NOW, where="test")) == set()


def test_a_pattern_with_aliases_becomes_an_or_and_others_stay() -> None:
    expr = And((Equals("pattern_id", "aa"), Not(Equals("pattern_id", "bb")), Equals("service", "api")))
    widened = with_members(expr, {"aa": ["aa", "a1", "a2"], "bb": ["bb"]})
    assert widened == And(
        (
            Or((Equals("pattern_id", "aa"), Equals("pattern_id", "a1"), Equals("pattern_id", "a2"))),
            Not(Equals("pattern_id", "bb")),
            Equals("service", "api"),
        )
    )
    assert with_members(Equals("pattern_id", "zz"), {}) == Equals("pattern_id", "zz")
