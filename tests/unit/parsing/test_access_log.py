from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from src.domain.parsing.access_log import AccessLogParser
from src.domain.severity import Severity

parser = AccessLogParser()


def test_common_log_format():
    line = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
    draft = parser.parse(line)
    assert draft is not None
    assert draft.message == line
    assert draft.timestamp == datetime(2000, 10, 10, 13, 55, 36, tzinfo=timezone(timedelta(hours=-7)))
    assert draft.severity is Severity.INFO
    assert draft.user_id == "frank"
    assert draft.attributes == {
        "client_ip": "127.0.0.1",
        "method": "GET",
        "path": "/apache_pb.gif",
        "protocol": "HTTP/1.0",
        "status": 200,
        "bytes": 2326,
        "parser": "access_log",
    }


def test_combined_with_ipv6_client_and_nginx_extra_field():
    line = (
        '2001:db8:85a3::8a2e:370:7334 - - [25/Nov/2025:10:00:00 +0000] "POST /api/v1/logs?x=1 HTTP/2.0" 201 512 '
        '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)" "203.0.113.9"'
    )
    draft = parser.parse(line)
    assert draft is not None
    assert draft.timestamp == datetime(2025, 11, 25, 10, tzinfo=UTC)
    assert draft.user_id is None
    assert draft.attributes["client_ip"] == "2001:db8:85a3::8a2e:370:7334"
    assert draft.attributes["path"] == "/api/v1/logs?x=1"
    assert draft.attributes["referer"] == "https://example.com/"
    assert draft.attributes["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert draft.attributes["extra"] == '"203.0.113.9"'


def test_escaped_quotes_in_request_and_user_agent():
    line = (
        '10.0.0.1 - - [25/Nov/2025:10:00:00 +0000] "GET /search?q=\\"quoted\\" HTTP/1.1" 404 0 '
        '"-" "sqlmap \\"1.7\\" \\\\ (https://sqlmap.org)"'
    )
    draft = parser.parse(line)
    assert draft is not None
    assert draft.severity is Severity.WARN
    assert draft.attributes["path"] == '/search?q="quoted"'
    assert draft.attributes["user_agent"] == 'sqlmap "1.7" \\ (https://sqlmap.org)'
    assert "referer" not in draft.attributes


def test_dash_fields_and_garbage_request():
    draft = parser.parse('192.0.2.7 - - [25/Nov/2025:10:00:00 +0000] "\\x16\\x03\\x01\\x00" 400 - "-" "-"')
    assert draft is not None
    assert draft.attributes == {
        "client_ip": "192.0.2.7",
        "request": "\\x16\\x03\\x01\\x00",
        "status": 400,
        "bytes": 0,
        "parser": "access_log",
    }
    empty = parser.parse('192.0.2.7 - - [25/Nov/2025:10:00:00 +0000] "-" 408 - "-" "-"')
    assert empty is not None
    assert "request" not in empty.attributes and "method" not in empty.attributes


@pytest.mark.parametrize(
    ("status", "severity"), [(200, Severity.INFO), (302, Severity.INFO), (404, Severity.WARN), (503, Severity.ERROR)]
)
def test_severity_from_status(status, severity):
    draft = parser.parse(f'1.2.3.4 - - [25/Nov/2025:10:00:00 +0000] "GET / HTTP/1.1" {status} 1')
    assert draft is not None
    assert draft.severity is severity


def test_bad_timestamp_is_kept_as_text():
    draft = parser.parse('1.2.3.4 - - [yesterday] "GET / HTTP/1.1" 200 1')
    assert draft is not None
    assert draft.timestamp is None
    assert draft.attributes["timestamp_text"] == "yesterday"


def test_replacement_character_in_user_agent():
    draft = parser.parse('1.2.3.4 - - [25/Nov/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "bot\ufffd"')
    assert draft is not None
    assert draft.attributes["user_agent"] == "bot\ufffd"


@pytest.mark.parametrize(
    "line",
    [
        "plain text",
        "1.2.3.4 [not] an access line",
        '1.2.3.4 - - [25/Nov/2025:10:00:00 +0000] "GET / HTTP/1.1" OK 1',
        "",
    ],
)
def test_not_access_log(line):
    assert parser.parse(line) is None
