"""Error groups through the real platform: traces and ERROR lines grouped in the mining pass, triage with
PATCH, re-open on recurrence after resolve (not on a late old event), ignored stays, tenants apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import create_tenant
from tests.integration.analytics.helpers import mined_events
from tests.integration.api.conftest import assert_error
from tests.integration.conftest import Stack, running_worker
from tests.unit.error_groups.traces import java_trace, python_trace

SERVICE = "billing"


def _event(message: str, at: datetime, *, severity: str = "error", host: str = "web-1") -> dict[str, Any]:
    return {"message": message, "timestamp": at.isoformat(), "severity": severity, "service": SERVICE, "host": host}


async def _groups(stack: Stack, headers: dict[str, str], **params: Any) -> dict[str, dict[str, Any]]:
    response = await stack.client.get("/api/v1/error-groups", params={"from": "now-1h", **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {g["id"]: g for g in response.json()["items"]}


async def test_errors_are_grouped_triaged_and_reopened(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    other = await create_tenant(stack.client)
    h = tenant.headers
    base = datetime.now(UTC) - timedelta(minutes=15)
    events = [
        _event(python_trace(line=40 + i, order=f"{i:04x}"), base + timedelta(seconds=i), host=f"web-{i % 2}")
        for i in range(3)
    ]
    events.append(_event(java_trace(), base + timedelta(seconds=5), severity="fatal"))
    events += [
        _event(f"payment provider returned 503 for order {900 + i}", base + timedelta(seconds=6 + i)) for i in range(2)
    ]
    events.append(_event("payment provider answered in 120 ms", base + timedelta(seconds=9), severity="info"))
    async with running_worker(stack.settings):
        await stack.ingest(h, events)
        await mined_events(stack, h, len(events))

        groups = await _groups(stack, h)
        by_kind = sorted((g["kind"], g["exception_type"], g["count"]) for g in groups.values())
        assert by_kind == [
            ("exception", "KeyError", 3),
            ("exception", "java.lang.IllegalStateException", 1),
            ("pattern", None, 2),
        ]
        py = next(g for g in groups.values() if g["exception_type"] == "KeyError")
        assert py["frames"] == ["pricing.price_of", "views.checkout"]
        assert sorted(py["hosts"]) == ["web-0", "web-1"] and len(py["sample_event_ids"]) == 3
        assert py["status"] == "open" and py["service"] == SERVICE
        by_pattern = next(g for g in groups.values() if g["kind"] == "pattern")
        assert by_pattern["title"].startswith("payment provider returned") and by_pattern["pattern_id"]

        one = await stack.client.get(f"/api/v1/error-groups/{py['id']}", headers=h)
        assert one.status_code == 200 and one.json()["count"] == 3

        resolved = await stack.client.patch(f"/api/v1/error-groups/{py['id']}", json={"status": "resolved"}, headers=h)
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
        assert list(await _groups(stack, h, status="resolved")) == [py["id"]]

        # A late event from before the resolution counts but does not re-open.
        await stack.ingest(h, [_event(python_trace(line=77), base + timedelta(seconds=30))])
        await mined_events(stack, h, len(events) + 1)
        late = (await stack.client.get(f"/api/v1/error-groups/{py['id']}", headers=h)).json()
        assert (late["count"], late["status"]) == (4, "resolved")

        # The error recurs after the resolution: open again.
        await stack.ingest(h, [_event(python_trace(line=78), datetime.now(UTC) + timedelta(seconds=1), host="web-9")])
        await mined_events(stack, h, len(events) + 2)
        again = (await stack.client.get(f"/api/v1/error-groups/{py['id']}", headers=h)).json()
        assert (again["count"], again["status"], again["reopened_count"]) == (5, "open", 1)
        assert "web-9" in again["hosts"]

        # Ignored stays ignored when it recurs.
        await stack.client.patch(f"/api/v1/error-groups/{py['id']}", json={"status": "ignored"}, headers=h)
        await stack.ingest(h, [_event(python_trace(line=79), datetime.now(UTC) + timedelta(seconds=1))])
        await mined_events(stack, h, len(events) + 3)
        ignored = (await stack.client.get(f"/api/v1/error-groups/{py['id']}", headers=h)).json()
        assert (ignored["count"], ignored["status"]) == (6, "ignored")

    bad = await stack.client.patch(f"/api/v1/error-groups/{py['id']}", json={"status": "done"}, headers=h)
    assert_error(bad, 422)
    assert_error(await stack.client.patch("/api/v1/error-groups/nope", json={"status": "open"}, headers=h), 404)

    # Another tenant sees none of it and cannot change it.
    assert await _groups(stack, other.headers) == {}
    assert_error(await stack.client.get(f"/api/v1/error-groups/{py['id']}", headers=other.headers), 404)
    assert_error(
        await stack.client.patch(
            f"/api/v1/error-groups/{py['id']}", json={"status": "resolved"}, headers=other.headers
        ),
        404,
    )
    assert (await stack.client.get(f"/api/v1/error-groups/{py['id']}", headers=h)).json()["status"] == "ignored"
