from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.domain.errors import InvalidInput
from src.domain.logs import LogDraft
from src.domain.parsing.regex_parser import compile_custom
from src.domain.parsing.registry import BUILTIN_ORDER, ParserRegistry
from src.domain.severity import Severity

NOW = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
registry = ParserRegistry(now=lambda: NOW)

SAMPLES = {
    "json": '{"time": "2025-11-25T10:00:00Z", "level": "info", "msg": "hello"}',
    "syslog": "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed",
    "access_log": '::1 - - [25/Nov/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0"',
    "logfmt": 'ts=2025-11-25T10:00:00Z level=debug msg="hello there"',
}


def test_builtin_order_and_names():
    assert BUILTIN_ORDER == ("json", "syslog", "access_log", "logfmt")
    assert registry.names() == [*BUILTIN_ORDER, "raw"]


@pytest.mark.parametrize(("name", "line"), SAMPLES.items())
def test_detect_picks_the_format(name, line):
    assert registry.detect(line).attributes["parser"] == name


def test_detect_year_inference_uses_injected_clock():
    draft = registry.detect("Dec 31 23:59:58 host app[1]: last line of the year")
    assert draft.timestamp == datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("something went wrong: ERROR code 7", Severity.ERROR),
        ("2025-11-25 10:00:00,123 WARNING low disk", Severity.WARN),
        ("[error] upstream timed out", Severity.ERROR),
        ("E1125 12:34:56.789012 1234 server.go:42] dial failed", Severity.ERROR),
        ("W1125 12:34:56.789012 1234 server.go:42] slow", Severity.WARN),
        ("time=now level=warn but not pure logfmt", Severity.WARN),
        ("FATAL: the database system is shutting down", Severity.FATAL),
        ("CRITICAL disk failure", Severity.FATAL),
        ("DEBUG cache warm", Severity.DEBUG),
        ("TRACE entering f()", Severity.TRACE),
        ("npm ERR! code ELIFECYCLE", Severity.ERROR),
        ("just a plain message with errors in prose", Severity.INFO),
    ],
)
def test_raw_fallback_infers_severity(line, severity):
    draft = registry.detect(line)
    assert draft.attributes == {"parser": "raw"}
    assert draft.message == line
    assert draft.severity is severity


def test_raw_fallback_keeps_a_leading_timestamp():
    draft = registry.detect("2025-11-25 10:00:00,123 INFO [main] started")
    assert draft.timestamp == datetime(2025, 11, 25, 10, 0, 0, 123000, tzinfo=UTC)


def test_custom_parsers_come_first():
    custom = compile_custom("mine", r"^(?P<service>\w+) says (?P<message>.*)$")
    tenant = ParserRegistry([custom])
    assert tenant.names()[0] == "mine"
    draft = tenant.detect("api says hello")
    assert (draft.service, draft.message, draft.attributes["parser"]) == ("api", "hello", "mine")
    # a line it does not match goes on to the built-ins
    assert tenant.detect(SAMPLES["json"]).attributes["parser"] == "json"


def test_parse_with_named_parser():
    assert registry.parse_with("logfmt", SAMPLES["logfmt"]).severity is Severity.DEBUG
    # json forced on a line that is not JSON: kept, flagged
    draft = registry.parse_with("json", "not json at all ERROR")
    assert draft.message == "not json at all ERROR"
    assert draft.attributes == {"parser": "raw", "parse_error": True}
    assert draft.severity is Severity.ERROR
    assert registry.parse_with("raw", SAMPLES["json"]).attributes == {"parser": "raw"}


def test_parse_with_unknown_name():
    with pytest.raises(InvalidInput) as caught:
        registry.parse_with("nope", "x")
    assert caught.value.code == "unknown_parser"


def test_duplicate_names_are_refused():
    with pytest.raises(InvalidInput):
        ParserRegistry([compile_custom("json", r"(?P<x>x)")])
    with pytest.raises(InvalidInput):
        ParserRegistry([compile_custom("a", r"(?P<x>x)"), compile_custom("a", r"(?P<y>y)")])


class _Broken:
    name = "broken"

    def parse(self, text: str) -> LogDraft | None:
        raise RuntimeError("bug")


def test_a_parser_that_raises_never_costs_the_event():
    tenant = ParserRegistry([_Broken()])
    assert tenant.detect(SAMPLES["json"]).attributes["parser"] == "json"
    draft = tenant.parse_with("broken", "x")
    assert draft.attributes == {"parser": "raw", "parse_error": True}


@pytest.mark.parametrize(
    "data",
    [
        b'{"msg": "caf\xe9"}',  # Latin-1 byte inside JSON
        b"<13>Nov 25 10:00:00 h app: \xff\xfe broken",
        b'1.2.3.4 - - [25/Nov/2025:10:00:00 +0000] "GET /\xc3 HTTP/1.1" 200 1',
        b"\xff\xfe\xfd",
        b"ts=now msg=\x80",
        b"",
    ],
)
@pytest.mark.parametrize("errors", ["replace", "surrogateescape"])
def test_undecodable_bytes_never_raise_and_end_up_storable(data, errors):
    text = data.decode("utf-8", errors=errors)
    draft = registry.detect(text)
    assert draft.attributes["parser"] in (*BUILTIN_ORDER, "raw")
    draft.message.encode("utf-8")  # lone surrogates were replaced: storage will not choke
    forced = registry.parse_with("access_log", text)
    forced.message.encode("utf-8")


def test_line_terminators_are_dropped():
    assert registry.detect(SAMPLES["json"] + "\r\n").attributes["parser"] == "json"
    assert registry.detect("plain\n").message == "plain"
