from __future__ import annotations

import pytest

from src.domain.patterns.masking import Masker, mask


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # numbers, numbers with units, ids with digits
        ("retrying in 30 seconds", "retrying in <*> seconds"),
        ("request took 12ms for 3.5GB", "request took <*> for <*>"),
        ("worker node-17 is down", "worker <*> is down"),
        ("state 6 reached.", "state <*> reached."),
        # hex and UUIDs
        ("fault at 0x7fed806eb5d in module", "fault at <*> in module"),
        ("job 3f2b8c1e-9a4d-4c1b-8e2f-0a1b2c3d4e5f started", "job <*> started"),
        # IPv4 and IPv6, with and without ports; host:port
        ("connect to 10.0.0.12:5432 failed", "connect to <*> failed"),
        ("peer 2001:db8::1 and fe80::1%eth0 up", "peer <*> and <*> up"),
        ("listening on [::1]:8080", "listening on <*>"),
        ("replica db-1.prod.internal:5432 lagging", "replica <*> lagging"),
        ("Received connection request /10.10.34.11:45307", "Received connection request /<*>"),
        # paths (Unix, one segment, Windows) and URLs
        ("cannot open /var/lib/app/data.db: denied", "cannot open <*>: denied"),
        ("GET /healthz served", "GET <*> served"),
        ("loaded C:\\Windows\\system32\\ntdll.dll ok", "loaded <*> ok"),
        ("POST https://hooks.example.com/a/b?x=1 returned", "POST <*> returned"),
        # key=value values, quoted strings, bracketed fields
        ("login ok user=alice role=admin", "login ok user=<*> role=<*>"),
        ('file "quarterly report.pdf" not found', "file <*> not found"),
        ("critical input interrupt (unit=0x0b bit=0x06)", "critical input interrupt (unit=<*> bit=<*>)"),
        ("thread [pool-3-thread-7] stuck", "thread [<*>] stuck"),
        # variable-length lists
        ("Scheduled jobs for tenants alice, bob, carol", "Scheduled jobs for tenants <*>"),
        ("stack @0x7fe @0x7ff @0xff83", "stack <*>"),
        ("ids 1, 2, 3, 4", "ids <*>"),
        # an id behind a word prefix keeps the prefix
        ("Deleting block blk_-5140072410813878235", "Deleting block blk_<*>"),
        # plain words stay
        ("Starting TrustedInstaller initialization.", "Starting TrustedInstaller initialization."),
    ],
)
def test_masks_values_and_keeps_words(line: str, expected: str) -> None:
    assert mask(line) == expected


def test_the_word_memo_does_not_change_the_result() -> None:
    masker = Masker(memo_size=3)
    lines = ["user alice logged in", "took 5ms total", "user alice logged in", "took 7ms total", "a b c d e f"] * 3
    assert [masker.mask(line) for line in lines] == [mask(line) for line in lines]
