"""The LogQL subset onto the query AST; what is not supported names the construct."""

from __future__ import annotations

import pytest

from src.domain.logql.errors import LogQLError
from src.domain.logql.parser import NOTHING, LogQuery, MetricQuery, parse_logql
from src.domain.querylang.ast import And, Compare, Equals, Exists, Not, Or, Regex


@pytest.mark.parametrize(
    ("q", "expr"),
    [
        ('{service="billing"}', Equals("service", "billing")),
        ('{service_name="billing"}', Equals("service", "billing")),
        ('{app="a", host!="h"}', And((Equals("service", "a"), Not(Equals("host", "h"))))),
        ('{level="warning"}', Equals("severity", 13)),
        ('{level="nonsense", job="j"}', And((NOTHING, Equals("service", "j")))),
        (
            '{level=~"err|warn", job="j"}',
            And((Or((Equals("severity", 13), Equals("severity", 17))), Equals("service", "j"))),
        ),
        ('{host=~"web-.+"}', Regex("host", "^(?:web-.+)$")),
        ('{region="eu"}', Equals("attr.region", "eu")),
        ('{job="j", region=""}', And((Equals("service", "j"), Not(Exists("attr.region"))))),
        ('{job="j"} |= "a.b"', And((Equals("service", "j"), Regex("message", r"a\.b")))),
        ('{job="j"} |= ""', Equals("service", "j")),
        ('{job="j"} !~ "x+"', And((Equals("service", "j"), Not(Regex("message", "x+"))))),
        (
            '{job="j"} | logfmt | status >= 500 and path="/x"',
            And((Equals("service", "j"), And((Compare("attr.status", ">=", 500.0), Equals("attr.path", "/x"))))),
        ),
        ("{job=`j`}", Equals("service", "j")),
    ],
)
def test_log_queries(q: str, expr: object) -> None:
    assert parse_logql(q) == LogQuery(expr)  # type: ignore[arg-type]


def test_metric_queries() -> None:
    volume = parse_logql('sum by (level) (count_over_time({job="j"} | drop __error__ [$__x1m]))'.replace("$__x", ""))
    assert volume == MetricQuery(Equals("service", "j"), "count_over_time", 60, ("level",))
    assert parse_logql('sum(rate({job="j"}[1h30m])) by (host)') == MetricQuery(
        Equals("service", "j"), "rate", 5400, ("host",)
    )
    assert parse_logql('bytes_over_time({job="j"}[5s])') == MetricQuery(
        Equals("service", "j"), "bytes_over_time", 5, None
    )


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ('{job="j"} | line_format "{{.a}}"', "line_format"),
        ('avg_over_time({job="j"} | unwrap d [1m])', "avg_over_time"),
        ('{job="j"} | duration > 10s', "duration"),
        ('{job="j"} |= "a" or "b"', "'or' in a line filter"),
        ('sum(sum(count_over_time({job="j"}[1m])))', "nested"),
        ('{job!="j"}', "at least one"),
        ('{job="j"', "col 9"),
        ('{job="j"} |~ "("', "invalid regular expression"),
    ],
)
def test_refusals_name_the_construct(q: str, says: str) -> None:
    with pytest.raises(LogQLError) as caught:
        parse_logql(q)
    assert says in caught.value.message
