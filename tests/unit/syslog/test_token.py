"""The token in `[logplane@32473 token=…]` is taken out of the event; other structured data stays."""

from __future__ import annotations

from src.domain.parsing.syslog import SyslogParser
from src.domain.parsing.syslog_token import take_token
from src.domain.token_bucket import TokenBuckets


def _parse(line: str):  # type: ignore[no-untyped-def]
    draft = SyslogParser().parse(line)
    assert draft is not None
    return draft


def test_token_is_taken_and_removed_from_the_attributes() -> None:
    draft, token = take_token(
        _parse('<14>1 2026-01-01T00:00:00Z h app - - [logplane@32473 token="lp_abc" env="prod"][x@1 a="b"] hi')
    )
    assert token == "lp_abc"
    assert draft.attributes["structured_data"] == {"logplane@32473": {"env": "prod"}, "x@1": {"a": "b"}}
    assert "lp_abc" not in repr(draft)


def test_only_our_element_carries_a_token() -> None:
    draft, token = take_token(_parse('<14>1 - h app - - [other@1 token="lp_abc"] hi'))
    assert token is None
    assert draft.attributes["structured_data"] == {"other@1": {"token": "lp_abc"}}


def test_a_token_given_twice_is_no_token_and_both_are_removed() -> None:
    draft, token = take_token(_parse('<14>1 - h app - - [logplane@32473 token="a" token="b"] hi'))
    assert token is None
    assert "structured_data" not in draft.attributes


def test_token_buckets_grant_the_burst_then_the_rate() -> None:
    now = [0.0]
    buckets: TokenBuckets[str] = TokenBuckets(rate=10, burst=20, clock=lambda: now[0])
    assert buckets.take("a", 25) == 20
    assert buckets.take("b", 5) == 5  # per key
    now[0] += 0.5
    assert buckets.take("a", 25) == 5
