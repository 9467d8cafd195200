"""Documents as real shippers' stock templates write them, mapped to events: nothing refused for
its field names, and the syslog fields land in service/host/severity."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from src.domain.severity import Severity
from src.entrypoints.http.schemas import draft_from
from src.usecases.compat.elasticsearch import draft_from_source
from src.usecases.compat.loki import drafts_from_push


def test_syslog_ng_elasticsearch_http_template() -> None:
    # $(format-json --scope rfc5424 --exclude DATE --key ISODATE @timestamp=${ISODATE})
    source = {
        "PROGRAM": "sshd",
        "PRIORITY": "notice",
        "PID": "4242",
        "MESSAGE": "Accepted publickey for deploy from 10.0.0.7 port 52311",
        "HOST": "bastion-1",
        "FACILITY": "auth",
        "ISODATE": "2026-11-30T08:15:02+00:00",
        "@timestamp": "2026-11-30T08:15:02+00:00",
    }
    draft = draft_from_source(source, index="syslog-ng", doc_id=None)
    assert draft.message == "Accepted publickey for deploy from 10.0.0.7 port 52311"
    assert (draft.service, draft.host, draft.severity) == ("sshd", "bastion-1", Severity.INFO)
    assert draft.timestamp == datetime(2026, 11, 30, 8, 15, 2, tzinfo=UTC)
    assert draft.attributes["PID"] == "4242"
    assert draft.attributes["FACILITY"] == "auth"


def test_syslog_ng_level_macro_in_upper_case() -> None:
    draft = draft_from_source({"MESSAGE": "disk full", "LEVEL": "err", "HOST": "db-2"}, index="i", doc_id=None)
    assert (draft.severity, draft.host) == (Severity.ERROR, "db-2")


def test_rsyslog_omelasticsearch_default_template() -> None:
    source = {
        "@timestamp": "2026-11-30T08:15:02.123456+01:00",
        "host": "web-3",
        "severity-num": 3,
        "facility-num": 3,
        "severity": "err",
        "facility": "daemon",
        "syslogtag": "nginx[1187]:",
        "message": " upstream timed out",
    }
    draft = draft_from_source(source, index="rsyslog", doc_id=None)
    assert (draft.service, draft.host, draft.severity) == ("nginx", "web-3", Severity.ERROR)
    assert draft.attributes["pid"] == "1187"
    assert "syslogtag" not in draft.attributes


def test_rsyslog_stdjson_template_names() -> None:
    source = {
        "message": "session opened",
        "fromhost": "mail-1",
        "facility": "authpriv",
        "priority": "info",
        "timereported": "2026-11-30T08:15:02Z",
        "timegenerated": "2026-11-30T08:15:03Z",
        "programname": "su",
    }
    draft = draft_from_source(source, index="i", doc_id=None)
    assert (draft.service, draft.host, draft.severity) == ("su", "mail-1", Severity.INFO)
    assert draft.timestamp == datetime(2026, 11, 30, 8, 15, 2, tzinfo=UTC)
    assert draft.attributes["timegenerated"] == "2026-11-30T08:15:03Z"


def test_a_tag_without_a_pid_and_an_unreadable_lenient_date() -> None:
    draft = draft_from_source({"msg": "x", "tag": "cron:", "timereported": "soon"}, index="i", doc_id=None)
    assert draft.service == "cron"
    assert draft.timestamp is None  # the receipt time is used; the odd value is kept
    assert draft.attributes["timereported"] == "soon"


def test_opensearch_logger_document() -> None:
    source = {
        "@timestamp": "2026-11-30T08:15:02.000Z",
        "log.level": "error",
        "log.logger": "shop.checkout",
        "log.origin.function": "pay",
        "message": "card declined",
        "host.hostname": "app-7",
        "process.name": "MainProcess",
    }
    draft = draft_from_source(source, index="python-logs", doc_id=None)
    assert (draft.service, draft.host, draft.severity) == ("shop.checkout", "app-7", Severity.ERROR)
    assert draft.attributes["log.origin.function"] == "pay"


def test_explicit_service_beats_logger_and_program() -> None:
    draft = draft_from_source(
        {"message": "m", "service": "billing", "logger": "billing.db", "PROGRAM": "python3"}, index="i", doc_id=None
    )
    assert draft.service == "billing"
    assert draft.attributes["logger"] == "billing.db"


def test_application_and_app_map_to_service() -> None:
    assert draft_from_source({"message": "m", "application": "shop"}, index="i", doc_id=None).service == "shop"
    assert draft_from_source({"message": "m", "app": "cart"}, index="i", doc_id=None).service == "cart"


def test_empty_message_fields_are_no_message() -> None:
    draft = draft_from_source({"message": "", "MSG": "real text"}, index="i", doc_id=None)
    assert draft.message == "real text"


def test_a_document_without_a_message_is_kept_whole() -> None:
    source = {"event": {"kind": "metric"}, "value": 3, "level": "warn"}
    draft = draft_from_source(source, index="metrics", doc_id="m1")
    assert orjson.loads(draft.message) == source
    assert draft.severity is Severity.WARN
    assert draft.attributes["value"] == 3
    assert draft.attributes["event"] == {"kind": "metric"}


def test_native_api_accepts_level_as_severity() -> None:
    draft = draft_from({"message": "x", "level": "warning"})
    assert not isinstance(draft, Exception)
    assert draft.severity is Severity.WARN


def test_native_api_refuses_both_level_and_severity() -> None:
    error = draft_from({"message": "x", "level": "warning", "severity": "error"})
    assert isinstance(error, Exception)
    assert "not both" in str(error)


def test_python_logging_loki_application_tag_is_the_service() -> None:
    body = {
        "streams": [
            {
                "stream": {"application": "shop", "logger": "root", "severity": "warning"},
                "values": [[str(1_764_490_502_000_000_000), "low stock"]],
            }
        ]
    }
    ((_, draft),) = drafts_from_push(body)
    assert not isinstance(draft, Exception)
    assert (draft.service, draft.severity) == ("shop", Severity.WARN)
