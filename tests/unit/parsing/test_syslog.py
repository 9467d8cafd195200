from __future__ import annotations

from datetime import UTC, datetime

import pytest

from src.domain.parsing.syslog import SyslogParser
from src.domain.severity import Severity

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=UTC)
parser = SyslogParser(now=lambda: NOW)


def test_rfc5424_with_several_sd_elements_and_escapes():
    # RFC 5424 §6.5 example 3, plus escaped '"', ']' and '\' and an unescaped backslash kept as is
    line = (
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        '[exampleSDID@32473 iut="3" eventSource="Appli\\"cation\\]" eventID="1011" path="C:\\\\temp\\x"]'
        '[examplePriority@32473 class="high"] \ufeffAn application event log entry...'
    )
    draft = parser.parse(line)
    assert draft is not None
    assert draft.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert draft.severity is Severity.INFO  # 165 = local4.notice
    assert (draft.host, draft.service) == ("mymachine.example.com", "evntslog")
    assert draft.message == "An application event log entry..."  # BOM removed
    assert draft.attributes == {
        "syslog": "rfc5424",
        "facility": "local4",
        "msg_id": "ID47",
        "structured_data": {
            "exampleSDID@32473": {
                "iut": "3",
                "eventSource": 'Appli"cation]',
                "eventID": "1011",
                "path": "C:\\temp\\x",
            },
            "examplePriority@32473": {"class": "high"},
        },
        "parser": "syslog",
    }


def test_rfc5424_nilvalues_everywhere():
    draft = parser.parse("<34>1 - - - - - - ")
    assert draft is not None
    assert draft.timestamp is None
    assert (draft.host, draft.service) == (None, None)
    assert draft.severity is Severity.FATAL  # 34 = auth.crit
    assert draft.message == "<34>1 - - - - - - "  # no MSG: the line is kept as the message
    assert draft.attributes == {"syslog": "rfc5424", "facility": "auth", "parser": "syslog"}


def test_rfc5424_with_offset_procid_and_no_sd():
    draft = parser.parse(
        "<11>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."
    )
    assert draft is not None
    assert draft.timestamp == datetime(2003, 8, 24, 12, 14, 15, 3, tzinfo=UTC)
    assert draft.severity is Severity.ERROR  # 11 = user.err
    assert draft.attributes["proc_id"] == "8710"
    assert draft.message == "%% It's time to make the do-nuts."


def test_rfc5424_repeated_param_keeps_all_values():
    draft = parser.parse('<14>1 2025-11-25T10:00:00Z h app - - [tags t="a" t="b" t="c"] msg')
    assert draft is not None
    assert draft.attributes["structured_data"] == {"tags": {"t": ["a", "b", "c"]}}


def test_rfc3164_with_pri():
    draft = parser.parse("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8")
    assert draft is not None
    assert draft.timestamp == datetime(2025, 10, 11, 22, 14, 15, tzinfo=UTC)
    assert draft.severity is Severity.FATAL
    assert (draft.host, draft.service) == ("mymachine", "su")
    assert draft.message == "'su root' failed for lonvick on /dev/pts/8"
    assert draft.attributes == {"syslog": "rfc3164", "facility": "auth", "proc_id": "230", "parser": "syslog"}


def test_rfc3164_without_pri_as_in_var_log_syslog():
    draft = parser.parse("Nov  5 06:25:01 web-1 CRON[12345]: (root) CMD (command -v debian-sa1 > /dev/null)")
    assert draft is not None
    assert draft.timestamp == datetime(2025, 11, 5, 6, 25, 1, tzinfo=UTC)
    assert (draft.host, draft.service, draft.attributes["proc_id"]) == ("web-1", "CRON", "12345")
    assert draft.severity is Severity.INFO


def test_rfc3164_without_pri_infers_level_from_message():
    draft = parser.parse("Nov 25 06:25:01 web-1 kernel: [12.34] EXT4-fs ERROR (device sda1): bad block")
    assert draft is not None
    assert draft.severity is Severity.ERROR


def test_rfc3164_with_pri_and_no_hostname():
    draft = parser.parse("<13>Nov 25 10:00:00 su: 'su root' failed")
    assert draft is not None
    assert (draft.host, draft.service) == (None, "su")


@pytest.mark.parametrize(
    ("now", "line", "expected"),
    [
        # a Dec 31 line read just after New Year belongs to last year
        (
            datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
            "<13>Dec 31 23:59:58 h app: x",
            datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC),
        ),
        # a Jan 1 line read just before midnight (sender's clock ahead) belongs to next year
        (
            datetime(2025, 12, 31, 23, 58, tzinfo=UTC),
            "<13>Jan  1 00:00:30 h app: x",
            datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC),
        ),
        # an ordinary line from earlier this year
        (datetime(2025, 6, 1, tzinfo=UTC), "<13>Mar  3 03:03:03 h app: x", datetime(2025, 3, 3, 3, 3, 3, tzinfo=UTC)),
        # later this year would be months in the future: last year
        (datetime(2025, 6, 1, tzinfo=UTC), "<13>Sep  3 03:03:03 h app: x", datetime(2024, 9, 3, 3, 3, 3, tzinfo=UTC)),
        # 29 February: the last leap year
        (datetime(2027, 3, 1, tzinfo=UTC), "<13>Feb 29 12:00:00 h app: x", datetime(2024, 2, 29, 12, tzinfo=UTC)),
    ],
)
def test_rfc3164_year_inference(now, line, expected):
    draft = SyslogParser(now=lambda: now).parse(line)
    assert draft is not None
    assert draft.timestamp == expected


def test_rfc3164_fractional_seconds_and_iso_timestamp_with_pri():
    frac = parser.parse("<30>Nov 25 10:00:00.250 h app[1]: x")
    assert frac is not None
    assert frac.timestamp == datetime(2025, 11, 25, 10, 0, 0, 250000, tzinfo=UTC)
    iso = parser.parse("<30>2025-11-25T10:00:00.123+01:00 h app[1]: forwarded")
    assert iso is not None
    assert iso.timestamp == datetime(2025, 11, 25, 9, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        "Oct 11 22:14:15 just some words",  # no tag: not claimed without PRI
        "<999>1 2025-11-25T10:00:00Z h a - - - pri out of range",
        "<abc>hello",
        "2025-11-25T10:00:00Z host app: iso lines need PRI",
        "plain text",
        "",
    ],
)
def test_not_syslog(line):
    assert parser.parse(line) is None


def test_replacement_character_in_message():
    draft = parser.parse("<14>1 2025-11-25T10:00:00Z h app - - - bad \ufffd byte")
    assert draft is not None
    assert draft.message == "bad \ufffd byte"
