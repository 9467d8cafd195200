"""Alert conditions as people write them, and the ones refused (422 with the field)."""

from __future__ import annotations

import pytest

from src.domain.alerting.condition import RuleKind, parse_condition
from src.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "kind", "op", "threshold", "window", "canonical"),
    [
        ("count > 100 in 5m", RuleKind.COUNT, ">", 100, 300, "count > 100 in 5m"),
        ("error_ratio > 5% in 10m", RuleKind.ERROR_RATIO, ">", 0.05, 600, "error_ratio > 5% in 10m"),
        ("error ratio >= 0.25 in 1h", RuleKind.ERROR_RATIO, ">=", 0.25, 3600, "error_ratio >= 25% in 1h"),
        ("error_ratio > 12.5 in 90s", RuleKind.ERROR_RATIO, ">", 0.125, 90, "error_ratio > 12.5% in 90s"),
        ("new_pattern in 15m", RuleKind.NEW_PATTERN, ">", 0, 900, "new_pattern > 0 in 15m"),
        ("New Error Group in 1d", RuleKind.NEW_ERROR_GROUP, ">", 0, 86400, "new_error_group > 0 in 1d"),
        ("anomaly_score >= 0.8 in 10m", RuleKind.ANOMALY_SCORE, ">=", 0.8, 600, "anomaly_score >= 0.8 in 10m"),
        ("count < 1 in 30m", RuleKind.COUNT, "<", 1, 1800, "count < 1 in 30m"),
    ],
)
def test_parses(text: str, kind: RuleKind, op: str, threshold: float, window: int, canonical: str) -> None:
    condition = parse_condition(text)
    assert (condition.kind, condition.comparator, condition.window_seconds) == (kind, op, window)
    assert condition.threshold == pytest.approx(threshold)
    assert condition.describe() == canonical
    assert parse_condition(condition.describe()) == condition  # what the API shows back parses the same


@pytest.mark.parametrize(
    "text",
    [
        "",
        "count > 100",  # no window
        "count in 5m",  # a count needs a comparison
        "volume > 3 in 5m",  # unknown kind
        "count > 100 in 10s",  # window under a minute
        "count > 100 in 8d",  # over a week
        "count > 5% in 5m",  # % is for ratios
        "error_ratio > 150% in 5m",
        "count => 3 in 5m",
        "x" * 300,
    ],
)
def test_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_condition(text)
    assert caught.value.code == "invalid_condition"
    assert caught.value.details == {"field": "condition"}


def test_breached_follows_the_comparator() -> None:
    assert parse_condition("count > 10 in 5m").breached(11)
    assert not parse_condition("count > 10 in 5m").breached(10)
    assert parse_condition("count >= 10 in 5m").breached(10)
    assert parse_condition("count < 1 in 5m").breached(0)
    assert parse_condition("error_ratio > 5% in 5m").breached(0.051)
