"""Property-based fuzzing (Hypothesis) of the parsers and the `q` syntax.

Properties: any text gives a draft (never an exception — the registry's promise), the draft holds
nothing storage refuses, each call stays fast, and the query parsers raise only the domain's errors.
Derandomized and bounded, so CI sees the same examples every run.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from src.domain.errors import DomainError
from src.domain.event_limits import require_storable_event
from src.domain.parsing.access_log import AccessLogParser
from src.domain.parsing.json_lines import JsonLinesParser
from src.domain.parsing.logfmt import LogfmtParser
from src.domain.parsing.multiline import join_multiline
from src.domain.parsing.regex_parser import compile_custom
from src.domain.parsing.registry import ParserRegistry
from src.domain.parsing.syslog import SyslogParser
from src.domain.parsing.timestamps import parse_timestamp
from src.domain.query import Cursor, parse_text_query, query_from_filters

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    # Generous: a busy 2-core CI machine; a pathological case takes seconds, not milliseconds.
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Every code point, lone surrogates and U+0000 included: what a decoder with surrogateescape, a JSON
# escape or a hostile client can produce.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
SPECIAL = st.sampled_from(
    ["\x00", "\ud800", "\udfff", "\ufffd", "\\u0000", '"', "\\", "=", "<", ">", "[", "]", "{", "}"]
)
FRAGMENT = (
    st.text(ANY_CHAR, max_size=20) | SPECIAL | st.sampled_from(["level", "msg", "ts", "-", " ", "\t", "1", "999"])
)
TEXT = st.lists(FRAGMENT, max_size=12).map("".join)

JSON_SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON_VALUE = st.recursive(
    JSON_SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)
KEYS = st.sampled_from(["message", "msg", "level", "severity", "time", "ts", "@timestamp", "service", "host", "x"])


def _json_line(record: dict[str, Any]) -> str:
    try:
        return orjson.dumps(record).decode()
    except (TypeError, orjson.JSONEncodeError):  # keys or strings orjson cannot encode (surrogates)
        return "{}"


JSON_LINE = st.dictionaries(KEYS | TEXT, JSON_VALUE, max_size=6).map(_json_line)
SYSLOG_LINE = st.builds(lambda pri, rest: f"<{pri}>{rest}", st.integers(-5, 300).map(str) | TEXT, TEXT) | st.builds(
    lambda ts, rest: f"Nov 24 {ts} host app[1]: {rest}", TEXT, TEXT
)
ACCESS_LINE = st.builds(
    lambda ip, ts, req, status, size: f'{ip} - - [{ts}] "{req}" {status} {size} "-" "curl"',
    TEXT,
    TEXT | st.just("24/Nov/2026:10:00:02 +0000"),
    TEXT,
    st.integers(-1, 1000).map(str) | TEXT,
    st.integers(-1, 10**12).map(str) | st.just("-"),
)
LOGFMT_LINE = st.lists(st.tuples(KEYS | TEXT, TEXT), max_size=6).map(
    lambda pairs: " ".join(f"{k}={v}" for k, v in pairs)
)
LINE = TEXT | JSON_LINE | SYSLOG_LINE | ACCESS_LINE | LOGFMT_LINE

REGISTRY = ParserRegistry()
PARSERS = [JsonLinesParser(), SyslogParser(), AccessLogParser(), LogfmtParser()]


def _quick(started: float, limit: float = 0.5) -> None:
    assert time.perf_counter() - started < limit, "one line took too long"


@FUZZ
@given(LINE)
def test_detect_turns_any_line_into_a_storable_draft(line: str) -> None:
    started = time.perf_counter()
    draft = REGISTRY.detect(line)
    _quick(started)
    assert draft.message.strip() or not line.strip()
    require_storable_event(draft)  # nothing PostgreSQL would refuse survives parsing


@FUZZ
@given(LINE, st.sampled_from([*REGISTRY.names()]))
def test_each_named_parser_keeps_any_line(line: str, name: str) -> None:
    draft = REGISTRY.parse_with(name, line)
    require_storable_event(draft)


@FUZZ
@given(LINE)
def test_builtin_parsers_never_raise(line: str) -> None:
    for parser in PARSERS:
        started = time.perf_counter()
        draft = parser.parse(line)
        _quick(started)
        if draft is not None:
            assert draft.attributes.get("parser") == parser.name
            assert draft.timestamp is None or draft.timestamp.tzinfo is not None


@FUZZ
@given(
    st.lists(
        LINE | st.sampled_from(["Traceback (most recent call last):", "  File x", "\tat a.b(C.java:1)"]), max_size=8
    )
)
def test_multiline_joining_keeps_every_line(parts: list[str]) -> None:
    lines = "\n".join(parts).splitlines()  # as the routes and the upload worker split a body
    joined = list(join_multiline(lines))
    assert sum(event.count("\n") + 1 for event in joined) == len(lines)


@FUZZ
@given(JSON_VALUE)
def test_timestamps_parse_or_give_none(value: object) -> None:
    parsed = parse_timestamp(value)
    assert parsed is None or parsed.tzinfo is not None


@FUZZ
@given(TEXT | st.sampled_from(["(?P<message>.*)", "(?P<level>\\w+) (?P<message>.*)", "(a+)+$", "(?P<x>"]), LINE)
def test_custom_patterns_compile_or_are_refused_as_bad_input(pattern: str, line: str) -> None:
    try:
        parser = compile_custom("custom", pattern)
    except DomainError:
        return
    started = time.perf_counter()
    parser.parse(line)
    _quick(started)


Q_TOKEN = FRAGMENT | st.sampled_from(['"', "-", ":", "service:", "severity:", "attr.k:", "attr.:", "-host:", "q"])


@FUZZ
@given(st.lists(Q_TOKEN, max_size=20).map("".join) | st.text(ANY_CHAR, max_size=1200))
def test_q_parses_or_is_refused_as_bad_input(q: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(DomainError):
        parse_text_query(q)
    _quick(started)


@FUZZ
@given(st.binary(max_size=200).map(lambda b: b.hex()) | TEXT | JSON_VALUE.map(lambda v: _b64(v)))
def test_cursors_decode_or_are_refused_as_bad_input(token: str) -> None:
    try:
        cursor = Cursor.decode(token)
    except DomainError:
        return
    assert cursor.timestamp.tzinfo is not None


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["from", "to", "severity", "min_severity", "service", "q", "sort", "attributes", "attr.k"])
        | TEXT,
        JSON_VALUE,
        max_size=5,
    )
)
def test_export_filters_give_a_query_or_a_domain_error(filters: dict[str, Any]) -> None:
    with contextlib.suppress(DomainError):
        query_from_filters(filters)


def _b64(value: object) -> str:
    import base64

    try:
        raw = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        raw = b"[]"
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
