"""The parser: the AST it builds, and errors that name the column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.querylang.ast import And, Compare, Equals, Exists, MatchAll, Not, Or, Range, Regex, Text, Wildcard
from src.domain.querylang.errors import QueryError
from src.domain.querylang.language import parse_filter, parse_query
from src.domain.querylang.pipeline import Aggregate

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def f(q: str) -> object:
    return parse_filter(q, now=NOW)


@pytest.mark.parametrize(
    ("q", "ast"),
    [
        ("", MatchAll()),
        ("*", MatchAll()),
        ("payment", Text(("payment",))),
        ("Payment failed", And((Text(("payment",)), Text(("failed",))))),
        ("payment AND failed", And((Text(("payment",)), Text(("failed",))))),
        ('"connection reset"', Text(("connection", "reset"))),
        ("pay*", Text(("pay",), prefix=True)),
        ("a OR b c", Or((Text(("a",)), And((Text(("b",)), Text(("c",))))))),
        ("(a OR b) c", And((Or((Text(("a",)), Text(("b",)))), Text(("c",))))),
        ("-timeout", Not(Text(("timeout",)))),
        ("NOT NOT x", Not(Not(Text(("x",))))),
        ('-"dry run"', Not(Text(("dry", "run")))),
        ("web-01", Text(("web", "01"))),
        ("service:billing", Equals("service", "billing")),
        ('service:"big billing"', Equals("service", "big billing")),
        ("-service:billing", Not(Equals("service", "billing"))),
        ("host:web-*", Wildcard("host", "web-*")),
        ("attr.order.region:eu", Equals("attr.order.region", "eu")),
        ("attr.user:*", Exists("attr.user")),
        ("attr.duration_ms:>250", Compare("attr.duration_ms", ">", 250.0)),
        ("attr.duration_ms:<=1.5", Compare("attr.duration_ms", "<=", 1.5)),
        ("attr.region:>m", Compare("attr.region", ">", "m")),
        ("severity:>=warn", Compare("severity", ">=", 13)),
        ("severity:warning", Equals("severity", 13)),
        ("message:pay*", Text(("pay",), prefix=True)),
        ('message:~"timeout after \\d+ms"', Regex("message", r"timeout after \d+ms")),
        ("attr.size:[10 TO 20}", Range("attr.size", 10.0, 20.0, high_inclusive=False)),
        ("attr.size:[10 TO *]", Range("attr.size", 10.0, None)),
        (
            "timestamp:[now-2h TO now-1h]",
            Range("timestamp", NOW - timedelta(hours=2), NOW - timedelta(hours=1)),
        ),
        ("timestamp:>=now-1d/d", Compare("timestamp", ">=", datetime(2026, 4, 30, tzinfo=UTC))),
        ("timestamp:<1777636800", Compare("timestamp", "<", datetime(2026, 5, 1, 12, tzinfo=UTC))),
        ("timestamp:<1777636800000", Compare("timestamp", "<", datetime(2026, 5, 1, 12, tzinfo=UTC))),
        ("timestamp:>2026-05-01T10:00:00Z", Compare("timestamp", ">", datetime(2026, 5, 1, 10, tzinfo=UTC))),
    ],
)
def test_filters_parse_to_the_typed_ast(q: str, ast: object) -> None:
    assert f(q) == ast


def test_the_old_q_syntax_is_a_subset() -> None:
    q = 'payment "connection reset" -timeout -"dry run" service:billing -host:web-2 attr.region:eu'
    assert f(q) == And(
        (
            Text(("payment",)),
            Text(("connection", "reset")),
            Not(Text(("timeout",))),
            Not(Text(("dry", "run"))),
            Equals("service", "billing"),
            Not(Equals("host", "web-2")),
            Equals("attr.region", "eu"),
        )
    )


def test_pipeline_plan() -> None:
    parsed = parse_query(
        "error | stats count(), count_distinct(attr.user), p95(attr.duration_ms) by (service, severity) "
        "| sort count desc, service | limit 5 | fields service, count",
        now=NOW,
    )
    plan = parsed.plan
    assert parsed.filter == Text(("error",))
    assert plan.aggregates == (
        Aggregate("count"),
        Aggregate("count_distinct", "attr.user"),
        Aggregate("p95", "attr.duration_ms"),
    )
    assert plan.group_by == ("service", "severity")
    assert plan.sort == (("count", True), ("service", False))
    assert plan.limit == 5 and plan.columns == ("service", "count")


def test_top_and_timeslice() -> None:
    top = parse_query("| top 3 by attr.path", now=NOW).plan
    assert top.group_by == ("attr.path",) and top.limit == 3 and top.sort == (("count", True),)
    sliced = parse_query("x | timeslice 5m", now=NOW).plan
    assert sliced.timeslice_seconds == 300 and sliced.columns == ("_timeslice", "count")


@pytest.mark.parametrize(
    ("q", "message", "column"),
    [
        ("service:", 'expected a value after "service:"', 9),
        ("a service: b", 'expected a value after "service:"', 11),
        ("(a OR b", "expected ')' to close the '(' opened at column 1", 8),
        ("a)", "unexpected ')'", 2),
        ("nosuch:x", "unknown field 'nosuch'", 1),
        ("a tenant_id:x", "unknown field 'tenant_id'", 3),
        ("severity:loud", "not a valid severity value", 10),
        ('"open', "unterminated phrase", 1),
        ('message:~"("', "not a valid RE2 regular expression", 10),
        ("timestamp:>yesterday", "not a valid timestamp value", 12),
        ("attr.x:[1 2]", "expected TO", 11),
        ("a | stats avg(service)", "avg() needs a numeric field", 15),
        ("a | frobnicate", "unknown pipeline stage 'frobnicate'", 5),
        ("a | limit 0", "limit takes a whole number", 11),
        ("a | sort count", "'count' is not a column here", 15),
        ("pa*y", "a wildcard in free text goes at the end", 1),
        ("a | limit 3 | stats count()", "stats must come before sort", 15),
        ("x AND", "expected a term", 6),
    ],
)
def test_errors_name_the_column(q: str, message: str, column: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(q, now=NOW)
    assert message in caught.value.message
    assert caught.value.column == column, caught.value.message
    assert caught.value.message.endswith(f"at column {column}")


def test_a_pipeline_is_refused_where_only_a_filter_fits() -> None:
    with pytest.raises(QueryError, match="GET /api/v1/query"):
        parse_filter("x | stats count()", now=NOW)


def test_nesting_and_size_are_capped() -> None:
    with pytest.raises(QueryError, match="nest deeper"):
        f("(" * 40 + "x" + ")" * 40)
    with pytest.raises(QueryError, match="longer than"):
        f("x " * 3000)
    with pytest.raises(QueryError, match="limited to"):
        f('message:~"' + "a" * 300 + '"')


def test_re2_escapes_that_postgresql_spells_differently() -> None:
    from src.adapters.postgres.query_sql import are_regex
    from src.domain.querylang.errors import UnsupportedQuery

    assert are_regex(r"\bok\b \d+ \Aa\z") == r"\yok\y \d+ ^a$"
    with pytest.raises(UnsupportedQuery):
        are_regex(r"\p{Greek}")


def test_text_postgresql_cannot_hold_is_refused() -> None:
    from src.domain.errors import InvalidInput

    for q in ('service:"a\x00b"', "x\ud800"):
        with pytest.raises(InvalidInput, match="cannot be stored"):
            parse_query(q, now=NOW)
