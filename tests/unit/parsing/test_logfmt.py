from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.domain.parsing.logfmt import LogfmtParser
from src.domain.severity import Severity

parser = LogfmtParser()


def test_go_kit_style_line():
    draft = parser.parse(
        'ts=2025-11-25T10:00:00.5Z level=warn msg="disk \\"/var\\" almost full" caller=disk.go:42 pct=91 '
        "trace_id=abc empty= url=/a?b=c"
    )
    assert draft is not None
    assert draft.timestamp == datetime(2025, 11, 25, 10, 0, 0, 500000, tzinfo=UTC)
    assert draft.severity is Severity.WARN
    assert draft.message == 'disk "/var" almost full'
    assert draft.trace_id == "abc"
    assert draft.attributes == {"caller": "disk.go:42", "pct": "91", "empty": "", "url": "/a?b=c", "parser": "logfmt"}


def test_escapes_in_quoted_values():
    draft = parser.parse('msg="line one\\nline two\\ttab \\\\ backslash"')
    assert draft is not None
    assert draft.message == "line one\nline two\ttab \\ backslash"


def test_without_msg_the_line_is_the_message():
    line = "at=info method=GET path=/ status=200"
    draft = parser.parse(line)
    assert draft is not None
    assert draft.message == line
    assert draft.attributes["at"] == "info"


@pytest.mark.parametrize(
    "line",
    [
        "user logged in with id=5",  # prose with one pair
        'msg="unterminated',
        "plain text",
        "a=1 bare b=2",
        "",
    ],
)
def test_only_whole_lines_of_pairs_match(line):
    assert parser.parse(line) is None


def test_hostile_input_is_fast():
    # many '=' and an unterminated quote at the end: a backtracking pattern would explode here
    import time

    line = "a=" + "b=" * 20_000 + '"'
    started = time.perf_counter()
    assert parser.parse(line) is None
    assert time.perf_counter() - started < 0.5
