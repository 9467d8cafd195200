"""Fuzzing: any text either parses or raises QueryError, and parsing time grows linearly."""

from __future__ import annotations

import contextlib
import gc
import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from src.domain.errors import InvalidInput
from src.domain.querylang.errors import QueryError
from src.domain.querylang.language import parse_query

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_PIECES = st.sampled_from(
    [
        " ",
        "(",
        ")",
        '"',
        "|",
        "-",
        "*",
        "?",
        ":",
        "~",
        ">",
        ">=",
        "<",
        "[",
        "]",
        "{",
        "}",
        "TO",
        "AND",
        "OR",
        "NOT",
        "service",
        "attr.a.b",
        "severity",
        "timestamp",
        "message",
        "now-1h",
        "warn",
        "12",
        "x",
        "é",
        "stats",
        "count()",
        "by",
        "top",
        "timeslice",
        "5m",
        "sort",
        "limit",
        "fields",
        ",",
        "\\",
        "p95(attr.d)",
    ]
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40).map("".join) | st.text(max_size=200))
def test_any_text_parses_or_raises_a_query_error(q: str) -> None:
    try:
        parse_query(q, now=NOW)
    except QueryError as e:
        assert 1 <= e.column <= len(q) + 1
    except InvalidInput as e:
        assert e.code == "invalid_field"  # U+0000 or a lone surrogate: text PostgreSQL cannot hold


def _seconds(q: str) -> float:
    """CPU seconds of this thread (not wall time: on a busy machine the thread waits for a core, and
    that wait is not the parser's), best of 7."""
    best = float("inf")
    for _ in range(7):
        started = time.thread_time()
        with contextlib.suppress(QueryError):
            parse_query(q, now=NOW)
        best = min(best, time.thread_time() - started)
    return best


def test_parse_time_is_linear_in_length() -> None:
    # Shapes that make backtracking parsers go quadratic or worse: 8x the text costs about 8x (a
    # quadratic parser 64x); the margin covers allocator and cache effects on a busy machine.
    gc.disable()
    try:
        for unit in ("a OR ", "(b AND c) ", "-x ", 'service:"q" ', "NOT ", "attr.k:>1 ", '"unclosed '):
            large = (unit * (4000 // len(unit)))[:3999]
            small = large[: len(large) // 8]
            assert _seconds(large) < 24 * max(_seconds(small), 2e-4), unit
    finally:
        gc.enable()
