"""Loki pushes (JSON shape and snappy protobuf), mapped to drafts."""

from __future__ import annotations

from datetime import UTC, datetime

import cramjam
import pytest

from src.adapters.protobuf.loki import PushRequest, decode_push_request
from src.domain.errors import InvalidEvent, InvalidInput, PayloadTooLarge
from src.domain.logs import LogDraft
from src.domain.severity import Severity
from src.usecases.compat.loki import drafts_from_push, parse_labels

NS = "1714557600000000000"
AT = datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_label_text_with_escapes() -> None:
    assert parse_labels('{job="api", msg="a \\"quoted\\" \\\\ value",empty=""}') == {
        "job": "api",
        "msg": 'a "quoted" \\ value',
        "empty": "",
    }
    assert parse_labels("{}") == {}
    for bad in ('job="api"', "{job=api}", '{job="api" host="h"}', '{="x"}'):
        with pytest.raises(InvalidEvent):
            parse_labels(bad)


def test_json_push_maps_labels_and_structured_metadata() -> None:
    push = {
        "streams": [
            {
                "stream": {"job": "api", "instance": "10.0.0.1:9100", "level": "warn", "env": "prod"},
                "values": [[NS, "slow request"], [NS, "with meta", {"trace_id": "t1", "detected_level": "error"}]],
            },
            {"stream": {"service_name": "billing", "app": "x", "hostname": "h"}, "values": [[NS, "second"]]},
        ]
    }
    (s1, first), (_, second), (s2, third) = drafts_from_push(push)
    assert s1 == '{job="api", instance="10.0.0.1:9100", level="warn", env="prod"}'
    assert isinstance(first, LogDraft) and isinstance(second, LogDraft) and isinstance(third, LogDraft)
    assert (first.message, first.timestamp, first.severity) == ("slow request", AT, Severity.WARN)
    assert (first.service, first.host) == ("api", "10.0.0.1:9100")
    assert first.attributes == {"labels": {"job": "api", "instance": "10.0.0.1:9100", "level": "warn", "env": "prod"}}
    # A level label wins over structured metadata; metadata is kept.
    assert second.severity is Severity.WARN and second.trace_id == "t1"
    assert second.attributes["structured_metadata"] == {"trace_id": "t1", "detected_level": "error"}
    assert (third.service, third.host, third.severity) == ("billing", "h", Severity.INFO)
    assert s2.startswith("{service_name=")


def test_bad_entries_and_streams_are_rejected_one_by_one() -> None:
    items = drafts_from_push(
        {
            "streams": [
                {"stream": {"job": "a"}, "values": [["soon", "x"], [NS], [NS, 5], [NS, "x", {"k": 1}], [NS, ""]]},
                {"stream": {"job": 1}, "values": [[NS, "x"], [NS, "y"]]},
                {"labels": "{broken", "values": [[NS, "z"]]},
            ]
        }
    )
    codes = [getattr(item, "code", "draft") for _, item in items]
    assert codes == [
        "invalid_timestamp",
        "invalid_entry",
        "invalid_entry",
        "invalid_labels",
        "draft",  # an empty line is refused later, by the event rules
        "invalid_labels",
        "invalid_labels",
        "invalid_labels",
    ]


def test_wrong_structure_refuses_the_push() -> None:
    with pytest.raises(InvalidInput):
        drafts_from_push({"streams": {"x": 1}})
    with pytest.raises(InvalidInput):
        drafts_from_push({"streams": [{"stream": {}, "values": "no"}]})
    assert drafts_from_push({"streams": []}) == []


def _push_bytes() -> bytes:
    message = PushRequest()
    stream = message.streams.add()
    stream.labels = b'{job="promtail", host="h1"}'
    entry = stream.entries.add()
    entry.timestamp.seconds = 1714557600
    entry.timestamp.nanos = 5000
    entry.line = b"bad \xff utf-8"
    entry.structuredMetadata.add(name=b"level", value=b"error")
    return bytes(message.SerializeToString())


async def test_snappy_protobuf_push_decodes_and_maps() -> None:
    body = bytes(cramjam.snappy.compress_raw(_push_bytes()))
    decoded = await decode_push_request(body, max_decompressed=1 << 20, max_entries=1000)
    ((labels, item),) = drafts_from_push(decoded)
    assert labels == '{job="promtail", host="h1"}'
    assert isinstance(item, LogDraft)
    assert item.message == "bad \ufffd utf-8"
    assert item.timestamp == datetime(2024, 5, 1, 10, 0, 0, 5, tzinfo=UTC)
    assert (item.service, item.host, item.severity) == ("promtail", "h1", Severity.ERROR)


async def test_snappy_limits_and_garbage() -> None:
    body = bytes(cramjam.snappy.compress_raw(_push_bytes()))
    with pytest.raises(PayloadTooLarge):
        await decode_push_request(body, max_decompressed=10, max_entries=1000)
    with pytest.raises(InvalidInput):
        await decode_push_request(b"\x10not snappy", max_decompressed=1 << 20, max_entries=1000)
    with pytest.raises(InvalidInput):
        await decode_push_request(
            bytes(cramjam.snappy.compress_raw(b"\xff\xff\xff")), max_decompressed=1 << 20, max_entries=1000
        )
