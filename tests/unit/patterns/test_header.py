from __future__ import annotations

import pytest

from src.domain.patterns.header import strip_header


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-01-01 10:00:00,123 ERROR [main] com.acme.Billing: charge failed", "charge failed"),
        (
            "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
            "PacketResponder 1 terminating",
        ),
        ("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", "workerEnv.init() ok"),
        ("2015-10-18 18:01:51,775 INFO [Socket Reader #1 for port 62260] o.a.h.Server: Starting", "Starting"),
        (
            "2015-07-29 17:41:44,747 - WARN  [QuorumPeer[myid=1]/0:2181:Leader@774] - Notification time out",
            "Notification time out",
        ),
        ("Dec  2 10:00:01 web-1 app[311]: warn: disk almost full", "disk almost full"),
    ],
)
def test_the_header_ends_at_the_level_and_its_thread_and_logger(line: str, message: str) -> None:
    assert strip_header(line) == message


@pytest.mark.parametrize(
    "line",
    [
        "Connection error on host db",  # a level word with no time or pid before it is message
        "12 errors found in batch",
        "Request 42 failed with error timeout",
        "no header at all",
        "2026-01-01 10:00:00 INFO",  # nothing after the header: keep the line rather than nothing
    ],
)
def test_a_line_without_a_recognised_header_is_left_alone(line: str) -> None:
    assert strip_header(line) == line
