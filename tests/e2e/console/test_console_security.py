"""The console's security and weight: CSP and friends on every console response, the session's CSRF
check, the first load's compressed size, and the time to render a page of 1,000 events (recorded in
test-artifacts/console/metrics.json for docs/benchmarks.md; not asserted: timing belongs to bench)."""

from __future__ import annotations

import json
import os
import statistics
from typing import Any

import httpx

from src.entrypoints.http.console import STATIC_DIR
from tests.e2e.console.conftest import (
    ARTIFACTS,
    Platform,
    Watched,
    add_user,
    ingest,
    login,
    new_tenant,
    searchable,
    session_login,
)

FIRST_LOAD_LIMIT = 300 * 1024


def test_console_responses_carry_a_strict_csp(platform: Platform) -> None:
    for path in ("/", "/console/js/main.js", "/console/app.css"):
        response = httpx.get(f"{platform.base}{path}")
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "'unsafe-inline'" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    shell = httpx.get(f"{platform.base}/").text
    assert "<script>" not in shell and "style=" not in shell  # no inline script or style to allow
    missing = httpx.get(f"{platform.base}/console/js/nope.js")
    assert missing.status_code == 404


def test_a_session_cookie_without_the_csrf_header_is_refused(platform: Platform) -> None:
    tenant = new_tenant(platform, "csrf")
    add_user(platform, tenant, "admin")
    with httpx.Client(base_url=platform.base, timeout=30) as client:
        csrf = session_login(client, tenant, "admin")
        assert client.cookies.get("logplane_csrf") == csrf
        refused = client.post("/api/v1/keys", json={"name": "x", "scopes": ["read"]})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
        wrong = client.post("/api/v1/keys", json={"name": "x", "scopes": ["read"]}, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        made = client.post("/api/v1/keys", json={"name": "x", "scopes": ["read"]}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        assert client.get("/api/v1/auth/me").status_code == 200  # reads need no token


def test_the_first_load_is_under_300_kb_compressed(platform: Platform, tab: Watched) -> None:
    # Every asset the console has (a superset of any first load), as the browser fetches it: gzip.
    total = 0
    with httpx.Client(base_url=platform.base, headers={"Accept-Encoding": "gzip"}) as client:
        for path in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
            rel = path.relative_to(STATIC_DIR).as_posix()
            response = client.get("/" if rel == "index.html" else f"/console/{rel}")
            assert response.status_code == 200, rel
            total += int(response.headers.get("content-length") or len(response.content))
    # …and what a browser actually transferred for the login page (console assets only, no cache).
    tab.page.goto("/")
    tab.page.get_by_label("Tenant").wait_for()
    transferred = tab.page.evaluate(
        """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
              .filter((e) => !e.name.includes('/api/')).reduce((sum, e) => sum + e.transferSize, 0)"""
    )
    record({"all_assets_gzip_bytes": total, "login_page_transferred_bytes": transferred})
    assert total < FIRST_LOAD_LIMIT, total


def test_rendering_a_page_of_1000_events(platform: Platform, tab: Watched) -> None:
    tenant = new_tenant(platform, "bulk")
    add_user(platform, tenant, "viewer")
    events = [
        {
            "message": f"row {i} of the render bench with some text",
            "service": f"svc-{i % 7}",
            "host": f"h{i % 5}",
            "severity": ("info", "warn", "error")[i % 3],
            "attributes": {"i": i, "path": f"/api/{i % 13}"},
        }
        for i in range(1000)
    ]
    ingest(platform, tenant, events)
    searchable(platform, tenant, "render", 1000)
    login(tab, tenant, "viewer")
    page = tab.page
    timings: list[float] = []
    building: list[float] = []
    for _ in range(5):
        page.goto("/#/search?q=render&from=now-1h&to=now&size=1000")
        page.reload()
        page.locator(".summary", has_text="(1000 shown)").wait_for()
        timings.append(float(page.locator(".results").get_attribute("data-render-ms")))
        building.append(float(page.locator(".results").get_attribute("data-build-ms")))
    assert page.locator(".rows .event").count() == 1000
    tab.shot("search-1000")
    record(
        {
            "render_1000_rows_ms": timings,
            "render_1000_rows_median_ms": statistics.median(timings),
            "build_1000_rows_ms": building,
            "load_average_1m": os.getloadavg()[0],
            "cpus": os.cpu_count(),
        }
    )


def record(values: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "metrics.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**current, **values}, indent=2))
