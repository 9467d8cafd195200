"""Syslog: RFC 5424, and the BSD format of RFC 3164 with or without its `<PRI>`.

    <165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 [sd@32473 k="v"] msg   (5424)
    <34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick      (3164)
    Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick          (3164, as in /var/log)

The severity comes from PRI; lines without PRI get it inferred from the message. RFC 3164 dates
have no year and no zone: the year is inferred against the injected clock, the zone taken as UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from src.domain.logs import LogDraft
from src.domain.parsing.base import Parser
from src.domain.parsing.severity_inference import infer_severity
from src.domain.parsing.structured_data import parse_structured_data
from src.domain.parsing.timestamps import MONTHS, Clock, infer_year, parse_iso, utc_now
from src.domain.severity import Severity

_SEVERITIES = (Severity.FATAL,) * 3 + (Severity.ERROR, Severity.WARN, Severity.INFO, Severity.INFO, Severity.DEBUG)
# Facility names by code (RFC 5424 table 1, as syslog(3) spells them).
# fmt: off
_FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7",
)
# fmt: on

_RFC5424 = re.compile(r"<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ", re.S)
_MONTH = "|".join(MONTHS)
_RFC3164 = re.compile(
    r"(?:<(?P<pri>\d{1,3})>)?"
    rf"(?:(?P<mon>{_MONTH}) +(?P<day>\d{{1,2}}) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<frac>\d{{1,6}}))?"
    r"|(?P<iso>\d{4}-\d\d-\d\dT\S+)) "
    # HOSTNAME and TAG are optional in the wild (local /dev/log messages have no host); neither may
    # contain ':' or brackets, which keeps the split unambiguous.
    r"(?:(?P<host>[^\s:\[\]]+) )?(?:(?P<tag>[^\s:\[\]]{1,64})(?:\[(?P<pid>[^\]\s]*)\])?: ?)?(?P<msg>.*)",
    re.S,
)


def _nil(value: str) -> str | None:
    return None if value == "-" else value


class SyslogParser(Parser):
    name = "syslog"

    def __init__(self, *, now: Clock | None = None) -> None:
        self._now = now or utc_now

    def parse(self, text: str) -> LogDraft | None:
        first = text[:1]
        if first == "<":
            return self._rfc5424(text) or self._rfc3164(text)
        # Without PRI only the BSD form is recognised, and only with a month name up front.
        if text[3:4] == " " and text[:3] in MONTHS:
            return self._rfc3164(text)
        return None

    def _rfc5424(self, text: str) -> LogDraft | None:
        header = _RFC5424.match(text)
        if header is None or int(header.group(1)) > 191:
            return None
        pri, _, stamp, host, app, procid, msgid = header.groups()
        split = parse_structured_data(text[header.end() :])
        if split is None:
            return None
        elements, rest = split
        message = rest[1:] if rest[:1] == " " else rest
        if message[:1] == "\ufeff":  # RFC 5424 marks a UTF-8 MSG with a BOM
            message = message[1:]
        attributes: dict[str, Any] = {"syslog": "rfc5424", "facility": _FACILITIES[int(pri) >> 3]}
        if procid != "-":
            attributes["proc_id"] = procid
        if msgid != "-":
            attributes["msg_id"] = msgid
        if elements:
            attributes["structured_data"] = elements
        timestamp = None if stamp == "-" else parse_iso(stamp)
        if timestamp is None and stamp != "-":
            attributes["timestamp_text"] = stamp
        attributes["parser"] = self.name
        return LogDraft(
            message=message if message.strip() else text,
            timestamp=timestamp,
            severity=_SEVERITIES[int(pri) & 7],
            service=_nil(app),
            host=_nil(host),
            attributes=attributes,
        )

    def _rfc3164(self, text: str) -> LogDraft | None:
        match = _RFC3164.match(text)
        if match is None:
            return None
        pri, host, tag, message = match.group("pri", "host", "tag", "msg")
        # Without PRI a line needs both a host and a `tag:` before we call it syslog; otherwise
        # any "Oct 11 22:14:15 something" line would be claimed.
        if pri is None and (host is None or tag is None or match.group("iso")):
            return None
        if pri is not None and int(pri) > 191:
            return None
        attributes: dict[str, Any] = {"syslog": "rfc3164"}
        if pri is not None:
            attributes["facility"] = _FACILITIES[int(pri) >> 3]
        if match.group("pid"):
            attributes["proc_id"] = match.group("pid")
        attributes["parser"] = self.name
        if not message.strip():
            message = text
        return LogDraft(
            message=message,
            timestamp=self._timestamp(match),
            severity=_SEVERITIES[int(pri) & 7] if pri is not None else infer_severity(message),
            service=tag,
            host=host,
            attributes=attributes,
        )

    def _timestamp(self, match: re.Match[str]) -> datetime | None:
        iso = match.group("iso")
        if iso is not None:
            return parse_iso(iso)
        frac = match.group("frac")
        micro = int(frac.ljust(6, "0")) if frac else 0
        h, m, s = int(match.group("h")), int(match.group("m")), int(match.group("s"))
        return infer_year(MONTHS[match.group("mon")], int(match.group("day")), h, m, s, micro, now=self._now())
