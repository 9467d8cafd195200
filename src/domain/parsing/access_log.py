"""Apache / nginx access logs, Common and Combined Log Format:

    127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://ref/" "Mozilla/5.0"

The whole line is the message (it is what people grep for); its parts go into attributes. Anything
after the Combined fields (nginx's `"$http_x_forwarded_for"`, a response time) is kept as `extra`.
"""

from __future__ import annotations

import re
from typing import Any

from src.domain.logs import LogDraft
from src.domain.parsing.base import Parser
from src.domain.parsing.timestamps import parse_clf
from src.domain.severity import Severity

# Quoted fields escape '"' and '\' with a backslash (Apache); the unrolled loop keeps matching linear.
_QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
_LINE = re.compile(
    r"(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    # The usual request line is split by the regex itself; anything else is taken whole.
    r'"(?:(?P<method>[A-Z]{1,16}) (?P<path>[^\s"\\]+) (?P<protocol>HTTP/\d(?:\.\d)?)'
    rf'|(?P<request>{_QUOTED}))" (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)'
    rf'(?: "(?P<referer>{_QUOTED})" "(?P<agent>{_QUOTED})")?(?P<rest>.*)',
    re.S,
)
_ESCAPE = re.compile(r'\\(["\\])')


def _unquote(value: str | None) -> str | None:
    if value is None or value == "-" or value == "":
        return None
    return _ESCAPE.sub(r"\1", value) if "\\" in value else value


def _severity(status: str) -> Severity:
    first = status[:1]
    if first == "5":
        return Severity.ERROR
    if first == "4":
        return Severity.WARN
    return Severity.INFO


class AccessLogParser(Parser):
    name = "access_log"

    def parse(self, text: str) -> LogDraft | None:
        # Every access line has " [" within its first fields; one C-level scan rules out most others.
        if text.find(" [", 0, 300) < 0:
            return None
        match = _LINE.match(text)
        if match is None:
            return None
        client, ident, user, stamp, method, path, protocol, request, status, size, referer, agent, rest = match.groups()
        attributes: dict[str, Any] = {"client_ip": client}
        if ident != "-":
            attributes["ident"] = ident
        if method is not None:
            attributes["method"] = method
            attributes["path"] = path
            attributes["protocol"] = protocol
        elif (request := _unquote(request)) is not None:
            _split_request(request, attributes)
        if status != "-":
            attributes["status"] = int(status)
        # CLF writes '-' for a response without a body.
        attributes["bytes"] = 0 if size == "-" else int(size)
        if (referer := _unquote(referer)) is not None:
            attributes["referer"] = referer
        if (agent := _unquote(agent)) is not None:
            attributes["user_agent"] = agent
        if rest.strip():
            attributes["extra"] = rest.strip()
        timestamp = parse_clf(stamp)
        if timestamp is None:
            attributes["timestamp_text"] = stamp
        attributes["parser"] = self.name
        return LogDraft(
            message=text,
            timestamp=timestamp,
            severity=_severity(status),
            user_id=None if user == "-" else user,
            attributes=attributes,
        )


def _split_request(request: str, attributes: dict[str, Any]) -> None:
    """`GET /path HTTP/1.1`; junk (TLS bytes sent to a plain port, scanners) is kept whole."""
    method, _, remainder = request.partition(" ")
    path, _, protocol = remainder.rpartition(" ")
    if not protocol.startswith("HTTP/"):
        path, protocol = remainder, ""
    if method.isalpha() and method.isupper() and path:
        attributes["method"] = method
        attributes["path"] = path
        if protocol:
            attributes["protocol"] = protocol
    else:
        attributes["request"] = request
