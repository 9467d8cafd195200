from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.domain.parsing.json_lines import FieldMapping, JsonLinesParser
from src.domain.severity import Severity

parser = JsonLinesParser()


def test_structlog_line_maps_fields_and_keeps_the_rest():
    line = (
        '{"timestamp": "2025-11-25T10:00:00.123456Z", "level": "warning", "event": "ignored key", '
        '"message": "disk almost full", "service": "api", "host": "web-1", "trace_id": "4bf92f3577b34da6", '
        '"span_id": "00f067aa0ba902b7", "user_id": 42, "action": "upload", "pct": 91.5, "tags": ["a", "b"]}'
    )
    draft = parser.parse(line)
    assert draft is not None
    assert draft.message == "disk almost full"
    assert draft.timestamp == datetime(2025, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)
    assert draft.severity is Severity.WARN
    assert (draft.service, draft.host, draft.user_id, draft.action) == ("api", "web-1", "42", "upload")
    assert (draft.trace_id, draft.span_id) == ("4bf92f3577b34da6", "00f067aa0ba902b7")
    assert draft.attributes == {"event": "ignored key", "pct": 91.5, "tags": ["a", "b"], "parser": "json"}


def test_ecs_nested_and_flattened_dotted_keys():
    nested = parser.parse(
        '{"@timestamp": "2025-11-25T10:00:00+01:00", "log": {"level": "error", "logger": "app.db"}, '
        '"message": "connection lost", "service": {"name": "billing"}, "host": {"name": "db-2"}}'
    )
    assert nested is not None
    assert nested.severity is Severity.ERROR
    assert nested.timestamp == datetime(2025, 11, 25, 9, 0, tzinfo=UTC)
    assert nested.timestamp.utcoffset() is not None
    assert (nested.service, nested.host) == ("billing", "db-2")
    assert nested.attributes == {"log": {"logger": "app.db"}, "parser": "json"}

    flat = parser.parse('{"log.level": "debug", "msg": "x", "service.name": "api", "trace.id": "abc"}')
    assert flat is not None
    assert (flat.severity, flat.service, flat.trace_id) == (Severity.DEBUG, "api", "abc")
    assert flat.attributes == {"parser": "json"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1732528800, datetime(2024, 11, 25, 10, 0, tzinfo=UTC)),
        (1732528800.5, datetime(2024, 11, 25, 10, 0, 0, 500000, tzinfo=UTC)),
        (1732528800123, datetime(2024, 11, 25, 10, 0, 0, 123000, tzinfo=UTC)),
        (1732528800123456, datetime(2024, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)),
        (1732528800123456789, datetime(2024, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)),
        ('"1732528800"', datetime(2024, 11, 25, 10, 0, tzinfo=UTC)),
        ('"2024-11-25 10:00:00,250"', datetime(2024, 11, 25, 10, 0, 0, 250000, tzinfo=UTC)),
        ('"Mon, 25 Nov 2024 10:00:00 +0000"', datetime(2024, 11, 25, 10, 0, tzinfo=UTC)),
    ],
)
def test_epoch_and_string_timestamps(value, expected):
    draft = parser.parse(f'{{"ts": {value}, "msg": "hi"}}')
    assert draft is not None
    assert draft.timestamp == expected
    assert draft.timestamp.tzinfo is not None


def test_unusable_values_stay_in_attributes():
    # "time" as a duration, an unknown level word, an object where the message belongs
    draft = parser.parse('{"time": 0.042, "level": "verbose", "message": {"nested": true}, "msg": "real"}')
    assert draft is not None
    assert draft.timestamp is None
    assert draft.message == "real"
    assert draft.attributes == {"time": 0.042, "level": "verbose", "message": {"nested": True}, "parser": "json"}


def test_pino_numeric_levels():
    assert parser.parse('{"level": 50, "msg": "x"}').severity is Severity.ERROR  # type: ignore[union-attr]
    assert parser.parse('{"level": 20, "msg": "x"}').severity is Severity.DEBUG  # type: ignore[union-attr]
    assert parser.parse('{"severity": 17, "msg": "x"}').severity is Severity.ERROR  # type: ignore[union-attr]


def test_without_message_the_line_is_the_message_and_level_is_inferred():
    line = '{"event_type": "job", "state": "ERROR during run"}'
    draft = parser.parse(line)
    assert draft is not None
    assert draft.message == line
    assert draft.severity is Severity.ERROR


def test_custom_mapping():
    mapping = FieldMapping(message=("body",), severity=("sev",), timestamp=("when",), service=("svc",))
    draft = JsonLinesParser(mapping).parse(
        '{"body": "hello", "sev": "warn", "when": "2025-01-01T00:00:00Z", "svc": "a", "msg": "kept"}'
    )
    assert draft is not None
    assert (draft.message, draft.severity, draft.service) == ("hello", Severity.WARN, "a")
    assert draft.attributes == {"msg": "kept", "parser": "json"}


@pytest.mark.parametrize(
    "line",
    ["", "plain text", "[1, 2, 3]", '"just a string"', "{not json", '{"a": 1} trailing', "{\ufffd}"],
)
def test_non_objects_do_not_match(line):
    assert parser.parse(line) is None


def test_replacement_character_inside_json_still_parses():
    draft = parser.parse('{"msg": "bad byte \ufffd here", "level": "info"}')
    assert draft is not None
    assert draft.message == "bad byte \ufffd here"
