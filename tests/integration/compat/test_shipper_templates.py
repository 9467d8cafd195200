"""Stock shipper templates through the real `_bulk` route, and the tenant's trace of refused documents."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.conftest import ADMIN_TOKEN, create_tenant
from tests.integration.conftest import Stack

PREFIX = "/api/v1/compat/elasticsearch"
PROGRAMS = ("sshd", "cron", "kernel", "systemd", "nginx", "postfix")
LEVELS = ("notice", "info", "err", "warning", "debug", "crit")


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def syslog_ng_document(i: int, moment: datetime) -> dict[str, str]:
    """What syslog-ng's `elasticsearch-http()` with its stock template writes:
    $(format-json --scope rfc5424 --exclude DATE --key ISODATE @timestamp=${ISODATE})."""
    return {
        "PROGRAM": PROGRAMS[i % len(PROGRAMS)],
        "PRIORITY": LEVELS[i % len(LEVELS)],
        "PID": str(1000 + i),
        "MESSAGE": f"syslog-ng line {i}",
        "LEGACY_MSGHDR": f"{PROGRAMS[i % len(PROGRAMS)]}[{1000 + i}]: ",
        "HOST_FROM": "localhost",
        "HOST": f"node-{i % 3}",
        "FACILITY": "daemon",
        "ISODATE": moment.isoformat(),
        "@timestamp": moment.isoformat(),
    }


async def test_syslog_ng_stock_template_is_stored_whole(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    headers = {**tenant.headers, "Content-Type": "application/x-ndjson"}
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    docs = [syslog_ng_document(i, base + timedelta(seconds=i)) for i in range(26)]
    body = b"".join(ndjson({"index": {"_index": "syslog-ng"}}, doc) for doc in docs)
    response = await stack.client.post(f"{PREFIX}/_bulk", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["errors"] is False, answer
    ids = [item["index"]["_id"] for item in answer["items"]]
    assert len(ids) == 26
    for i, log_id in enumerate(ids):
        stored = (await stack.client.get(f"/api/v1/logs/{uuid.UUID(log_id)}", headers=tenant.headers)).json()
        assert stored["message"] == f"syslog-ng line {i}"
        assert stored["service"] == PROGRAMS[i % len(PROGRAMS)]
        assert stored["host"] == f"node-{i % 3}"
        assert datetime.fromisoformat(stored["timestamp"]) == base + timedelta(seconds=i)
        assert stored["attributes"]["PID"] == str(1000 + i)
    levels = {(await stack.client.get(f"/api/v1/logs/{uuid.UUID(ids[2])}", headers=tenant.headers)).json()["severity"]}
    assert levels == {"ERROR"}  # "err"


def _bad_bulk() -> bytes:
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    return ndjson(
        {"index": {}},
        {"message": "fine"},
        {"index": {}},
        {"message": "too early", "@timestamp": future},
        {"index": {}},
        {"message": "also too early", "@timestamp": future},
        {"delete": {"_id": "x"}},
        {"index": {}},
        {"message": "bad date", "@timestamp": "not a date"},
    )


async def test_refused_documents_are_traced_for_their_tenant(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    headers = {**tenant.headers, "Content-Type": "application/x-ndjson"}
    caplog.set_level(logging.WARNING, logger="src.usecases.ingest_rejections")
    for _ in range(2):
        response = await stack.client.post(f"{PREFIX}/myindex/_bulk", content=_bad_bulk(), headers=headers)
        assert response.status_code == 200 and response.json()["errors"] is True

    listed = await stack.client.get("/api/v1/ingest/rejections", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    by_reason = {(r["route"], r["reason"]): r for r in listed.json()["rejections"]}
    assert {reason: r["count"] for (_, reason), r in by_reason.items()} == {
        "timestamp_in_future": 4,
        "unsupported_action": 2,
        "invalid_timestamp": 2,
    }
    assert {route for route, _ in by_reason} == {"elasticsearch_bulk"}
    future = by_reason[("elasticsearch_bulk", "timestamp_in_future")]
    assert "future" in future["sample"]
    assert future["first_seen"].endswith(("Z", "+00:00")) and future["first_seen"] <= future["last_seen"]

    # Nothing of it reaches another tenant.
    theirs = await stack.client.get("/api/v1/ingest/rejections", headers=other.headers)
    assert theirs.status_code == 200 and theirs.json() == {"rejections": []}

    # One warning per reason in the server log, not one per request, and no document content in it.
    warnings = [
        r.getMessage() for r in caplog.records if "ingest refused" in r.getMessage() and tenant.id in r.getMessage()
    ]
    assert sorted(w.split("reason=")[1].split(" ")[0] for w in warnings) == [
        "invalid_timestamp",
        "timestamp_in_future",
        "unsupported_action",
    ]
    assert not any("too early" in w or "bad date" in w for w in warnings)


async def test_native_routes_are_traced_too(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    response = await stack.client.post(
        "/api/v1/logs/bulk",
        content=b'{"message":"ok"}\n{"message":"x","nope":1}\n',
        headers={**tenant.headers, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 207, response.text
    listed = (await stack.client.get("/api/v1/ingest/rejections", headers=tenant.headers)).json()["rejections"]
    assert [(r["route"], r["reason"], r["count"]) for r in listed] == [("api_bulk", "unknown_field", 1)]


async def test_the_tally_needs_a_tenant_credential(stack: Stack) -> None:
    anonymous = await stack.client.get("/api/v1/ingest/rejections")
    assert anonymous.status_code == 401
    admin = await stack.client.get("/api/v1/ingest/rejections", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert admin.status_code in (401, 403)
