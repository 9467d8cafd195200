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
        # A component padded to a column after the level, and log4j's `%c - %m`.
        ("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack", "Loaded Servicing Stack"),
        ("2026-01-01 10:00:00,001 [main] INFO  com.acme.Billing - charge failed", "charge failed"),
        ("2026-01-01 10:00:00 INFO Starting server on port 8080", "Starting server on port 8080"),
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


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # syslog without a level: the header ends at the `prog[pid]:` tag.
        ("Dec  2 10:00:01 web-1 sshd[311]: Accepted password for root", "Accepted password for root"),
        ("Dec  2 10:00:01 web-1 kernel: [12345.678] eth0: link up", "[12345.678] eth0: link up"),
        ("2026-12-02T10:00:01.123456+00:00 web-1 nginx[311]: upstream timed out", "upstream timed out"),
        # ISO time, host and pid: the header runs over the fields after the time to the first word.
        ("2026-12-02T10:00:01Z web-1 1234 Starting worker 3", "Starting worker 3"),
        ("2026-12-02T10:00:01Z Starting worker", "Starting worker"),
        ("[2026-01-01 10:00:00] worker.1: Job done", "worker.1: Job done"),  # a `name:` is kept without a host
        ("2026-12-02T10:00:01Z web-1 311 duration: 5.2 ms", "duration: 5.2 ms"),
        ("2026-12-02T10:00:01Z web-1 311 API key revoked", "API key revoked"),
        (
            '2026-12-02T10:00:01Z web-1 311 10.0.0.1 - - [02/Dec/2026:10:00:01 +0000] "GET /"',
            '10.0.0.1 - - [02/Dec/2026:10:00:01 +0000] "GET /"',
        ),
        ("Dec  2 10:00:01 gateway sshd[311]: Accepted password", "Accepted password"),
        ("17/06/09 20:10:40 starting", "starting"),
        # Epoch seconds or milliseconds after a sequence number, host and component words.
        ("1701509000 web-3 storage.disk Disk sda is 91% full", "Disk sda is 91% full"),
        ("1701509000123 web-3 storage.disk Disk sda is 91% full", "Disk sda is 91% full"),
        (
            "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change",
            "Component State Change",
        ),
        ("312853 node-12 node temperature 1122319890 1 ambient=36", "ambient=36"),
        ("25358 gige4 gige temperature 1100910194 1 critical", "critical"),
        ("209845 node-182 unix.hw net.niff.up 1116601699 1 NIFF: node node-182 is up", "NIFF: node node-182 is up"),
        # A level after a time-anchored header still ends it.
        ("2026-12-02T10:00:01Z web.local myapp[12]: ERROR charge failed", "ERROR charge failed"),
        ("2026-12-02T10:00:01Z web-1 1234 WARN [main] disk almost full", "disk almost full"),
        # Python's logging format and klog (Kubernetes).
        ("2026-01-01 10:00:00,123 - app.billing - INFO - charge failed", "charge failed"),
        ("I1202 10:00:01.123456    1234 server.go:123] Serving on :8080", "Serving on :8080"),
        # logfmt: a leading time key is a header too; the other keys stay.
        ("ts=2026-01-01T10:00:00Z level=info msg=hello", "level=info msg=hello"),
    ],
)
def test_a_header_without_a_level_ends_after_its_time_and_the_fields_after_it(line: str, message: str) -> None:
    assert strip_header(line) == message


@pytest.mark.parametrize(
    "line",
    [
        # A date, a time or an epoch-like number inside a message.
        "Backup finished at 2026-01-01 10:00:00 with 3 errors",
        "node-3 rebooted at 10:00:01 after failure",
        "user-42 logged in at 10:00:01 (3 attempts)",
        "job-7 done at 10:00:01 (3 s)",
        "42 jobs queued since 1700000000 ok",
        "user_id 1700000000 logged in",
        "1234567890 rows deleted",  # a number in the epoch range alone is not a header
        "2026-01-01 at noon the job failed",  # nor is a date alone
        "v1.2.3 released on 2026-01-01",
        "aa:bb:10:00:01:ff link up",  # a MAC address is not a time
        '10.0.0.1 - - [02/Dec/2026:10:00:01 +0000] "GET /api HTTP/1.1" 200 512',
        "3 (n.leader), 0x0 (n.zxid), 0x1 (n.round), LOOKING (n.state)",
        # A plain word then a field after the time: a host and a pid, or a message? Kept whole.
        "2026-12-02T10:00:01Z gateway 311 Started worker",
        "2026-12-02T10:00:01Z processed 311 rows",
        "1764633601.886 gateway auth.tokens deadlock detected",
        # Nothing but header: keep the line rather than nothing.
        "2026-12-02T10:00:01Z",
        "2026-12-02T10:00:01Z web-1 1234",
    ],
)
def test_a_message_that_merely_contains_a_time_or_number_is_left_alone(line: str) -> None:
    assert strip_header(line) == line
