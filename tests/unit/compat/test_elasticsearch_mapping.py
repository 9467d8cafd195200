"""Elasticsearch bulk bodies and documents, mapped to drafts."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from src.domain.errors import InvalidEvent, InvalidInput
from src.domain.logs import LogDraft
from src.domain.severity import Severity
from src.usecases.compat.elasticsearch import draft_from_source, drafts_from_bulk, parse_bulk, parse_es_date


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def test_ecs_fields_nested_and_dotted_map_to_the_event() -> None:
    source = {
        "@timestamp": "2024-05-01T10:00:00.123Z",
        "message": "payment failed",
        "log": {"level": "warning", "logger": "billing.core"},
        "service": {"name": "billing", "version": "1.2"},
        "host.name": "web-1",
        "trace": {"id": "abc"},
        "span.id": "def",
        "user": {"id": "u-7"},
        "event": {"action": "charge"},
        "kubernetes": {"pod": {"name": "billing-0"}},
    }
    draft = draft_from_source(source, index="app-logs", doc_id="d1")
    assert draft.message == "payment failed"
    assert draft.timestamp == datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert draft.severity is Severity.WARN
    assert (draft.service, draft.host, draft.trace_id, draft.span_id) == ("billing", "web-1", "abc", "def")
    assert (draft.user_id, draft.action) == ("u-7", "charge")
    assert draft.client_id == "es:d1"
    # What was not mapped stays as it came; emptied objects are pruned.
    assert draft.attributes == {
        "log": {"logger": "billing.core"},
        "service": {"version": "1.2"},
        "kubernetes": {"pod": {"name": "billing-0"}},
        "es_index": "app-logs",
    }
    assert source["log"] == {"level": "warning", "logger": "billing.core"}  # the input is left alone


def test_plain_names_and_fallbacks() -> None:
    draft = draft_from_source(
        {"timestamp": 1714557600000, "msg": "hi", "level": "ERR", "service": "api", "host": "h", "trace_id": "t"},
        index="i",
        doc_id=None,
    )
    assert draft.timestamp == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert (draft.severity, draft.service, draft.host, draft.trace_id) == (Severity.ERROR, "api", "h", "t")
    assert draft.client_id is None
    assert draft.attributes == {"es_index": "i"}


def test_log_as_message_when_it_is_text_and_unknown_levels_stay_in_attributes() -> None:
    draft = draft_from_source({"log": "container line\n", "level": "chatty"}, index="i", doc_id=None)
    assert draft.message == "container line\n"
    assert draft.severity is Severity.INFO
    assert draft.attributes == {"level": "chatty", "es_index": "i"}


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ({"message": "x", "@timestamp": "yesterday"}, "invalid_timestamp"),
        ({"message": "x", "@timestamp": "1969-12-31T23:59:59Z"}, "invalid_timestamp"),
        ({"message": "x\x00y"}, "invalid_field"),
        ({"message": "x", "k\x00": 1}, "invalid_field"),
    ],
)
def test_documents_that_cannot_be_events(source: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        draft_from_source(source, index="i", doc_id=None)
    assert caught.value.code == code


def test_dates_naive_iso_is_utc_and_epoch_millis() -> None:
    assert parse_es_date("2024-05-01T10:00:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_es_date("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_es_date("1714557600000") == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_bulk_actions_pairs_and_per_item_refusals() -> None:
    body = (
        ndjson(
            {"index": {"_index": "a", "_id": "1"}},
            {"message": "one"},
            {"create": {}},
            {"message": "two"},
            {"delete": {"_index": "a", "_id": "1"}},
            {"update": {"_id": "1"}},
            {"doc": {"message": "x"}},
        )
        + b'{"index": {}}\n{not json\n{"index": {}}\n[1, 2]\n'
    )
    ops = parse_bulk(body, default_index="from-path")
    assert [(op.action, op.index, op.doc_id) for op in ops] == [
        ("index", "a", "1"),
        ("create", "from-path", None),
        ("delete", "a", "1"),
        ("update", "from-path", "1"),
        ("index", "from-path", None),
        ("index", "from-path", None),
    ]
    items = drafts_from_bulk(ops)
    assert isinstance(items[0], LogDraft) and items[0].client_id == "es:1"
    assert isinstance(items[1], LogDraft) and items[1].attributes["es_index"] == "from-path"
    codes = [getattr(item, "code", None) for item in items[2:]]
    assert codes == ["unsupported_action", "unsupported_action", "invalid_json", "invalid_document"]


def test_a_missing_index_is_refused_per_item() -> None:
    (op,) = parse_bulk(ndjson({"index": {}}, {"message": "x"}), default_index=None)
    (item,) = drafts_from_bulk([op])
    assert isinstance(item, InvalidEvent) and item.code == "index_missing"


@pytest.mark.parametrize(
    "body",
    [
        b"not json\n{}\n",
        ndjson({"index": {}, "create": {}}, {"message": "x"}),
        ndjson({"upsert": {}}, {"message": "x"}),
        ndjson({"index": "a"}, {"message": "x"}),
        ndjson({"index": {}}),
    ],
)
def test_malformed_action_lines_refuse_the_request(body: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_bulk(body, default_index="i")
    assert caught.value.code == "malformed_action"
