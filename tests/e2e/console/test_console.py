"""The console in Chromium against the running platform: log in, search, open an event, filter from
the field sidebar, live tail, tasks, ingest snippets, admin (API key shown once), roles, tenant
isolation, XSS rendered inert, and a screenshot of each page in test-artifacts/console/."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from tests.e2e.console.conftest import (
    ARTIFACTS,
    Platform,
    Tenant,
    Watched,
    add_user,
    ingest,
    login,
    new_tenant,
    open_tab,
    searchable,
    session_login,
    wait_until,
)

XSS_MESSAGE = '<script>window.__xss = 1</script> "><img src=x onerror="window.__xss=2"> xss-probe'
XSS_KEY = '"><img src=x onerror="window.__xss=3">'


@pytest.fixture(scope="module")
def acme(platform: Platform) -> Tenant:
    tenant = new_tenant(platform, "acme")
    add_user(platform, tenant, "admin")
    add_user(platform, tenant, "viewer")
    events = [
        {
            "message": f"checkout step {i} done acme-marker",
            "severity": "error" if i % 4 == 0 else "info",
            "service": "checkout",
            "host": f"web-{i % 2}",
            "attributes": {"order": {"region": "eu" if i % 3 else "us"}, "step": i},
        }
        for i in range(24)
    ]
    events.append({"message": XSS_MESSAGE, "service": "xss", "attributes": {XSS_KEY: "inert"}})
    ingest(platform, tenant, events)
    searchable(platform, tenant, "acme-marker OR xss-probe", 25)
    return tenant


@pytest.fixture(scope="module")
def beta(platform: Platform) -> Tenant:
    tenant = new_tenant(platform, "beta")
    add_user(platform, tenant, "admin")
    ingest(platform, tenant, [{"message": "beta-marker only here", "service": "beta-svc"}])
    searchable(platform, tenant, "beta-marker", 1)
    return tenant


def test_login_search_open_an_event_and_filter_from_the_sidebar(tab: Watched, acme: Tenant) -> None:
    page = tab.page
    page.goto("/")
    page.get_by_label("Tenant").wait_for()
    tab.shot("login")
    login(tab, acme, "admin")
    page.get_by_label("Query").fill("service:checkout")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator(".summary", has_text="24 events match").wait_for()
    assert "q=service%3Acheckout" in page.url  # the address is the share link
    assert page.locator("svg.histogram rect.sev-error").count() >= 1
    # Open an event: its JSON, as stored.
    first = page.locator(".rows .event").first
    first.get_by_role("button", name="Show the event").click()
    detail = page.locator(".rows .detail pre.json").first
    detail.wait_for()
    shown = json.loads(detail.inner_text())
    assert shown["service"] == "checkout" and "acme-marker" in shown["message"]
    # Filter by a value from the field sidebar.
    page.locator("aside.fields").get_by_role("button", name=re.compile(r"^host")).click()
    page.locator("aside.fields button.value", has_text="web-1").click()
    page.locator(".summary", has_text="12 events match").wait_for()
    assert page.get_by_label("Query").input_value() == "service:checkout host:web-1"
    hosts = set(page.locator(".rows .event .host").all_inner_texts())
    assert hosts == {"web-1"}
    tab.shot("search")
    # The share link opens the same search in a new tab.
    shared = page.context.new_page()
    shared.goto(page.locator("a.share").get_attribute("href"))
    shared.locator(".summary", has_text="12 events match").wait_for()
    shared.close()


def test_query_errors_are_shown_at_their_column(tab: Watched, acme: Tenant) -> None:
    tab.allow.append("422 (Unprocessable Entity) @ /api/v1/")
    login(tab, acme, "viewer")
    page = tab.page
    page.get_by_label("Query").fill("service:checkout AND (host:web-1")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("alert").filter(has_text="column").wait_for()
    mark = page.locator("pre.query-mark")
    assert mark.inner_text().splitlines()[1].index("^") == len("service:checkout AND (host:web-1")
    assert page.get_by_label("Query").get_attribute("aria-invalid") == "true"
    tab.shot("search-error")


def test_histogram_brush_zooms_into_the_range(tab: Watched, acme: Tenant) -> None:
    login(tab, acme, "viewer")
    page = tab.page
    page.goto("/#/search?q=service%3Acheckout&from=now-1h&to=now")
    page.locator(".summary", has_text="24 events match").wait_for()
    box = page.locator("svg.histogram").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.99, y, steps=5)
    page.mouse.up()
    wait_until(lambda: "T" in page.get_by_label("From").input_value(), what="the brush to set an absolute range")
    assert "from=20" in page.url


def test_xss_in_messages_and_attribute_keys_is_shown_as_text(tab: Watched, acme: Tenant) -> None:
    login(tab, acme, "viewer")
    page = tab.page
    page.goto("/#/search?q=service%3Axss&from=now-1h&to=now")
    probe = page.locator(".rows .event .msg", has_text="xss-probe").first
    probe.wait_for()
    # The row found, not the list's first: the login's search may still be on screen, re-rendering.
    # textContent, not innerText: rows sit in `content-visibility: auto` groups, and Chromium's
    # innerText of a group it has not laid out yet is '' (failed once in CI).
    wait_until(lambda: probe.text_content() == XSS_MESSAGE, what="the probe row's message as text")
    page.get_by_role("button", name="Show the event").click()
    assert json.loads(page.locator("pre.json").inner_text())["attributes"] == {XSS_KEY: "inert"}
    page.locator("aside.fields").get_by_text(f"attr.{XSS_KEY}").wait_for()
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main script").count() == 0
    tab.shot("search-xss")


def test_a_live_event_arrives_in_the_tail_within_two_seconds(tab: Watched, platform: Platform, acme: Tenant) -> None:
    login(tab, acme, "viewer")
    page = tab.page
    page.locator("#nav").get_by_role("link", name="Live tail").click()
    page.locator(".status[data-state='live']").wait_for()
    ingested = time.monotonic()
    ingest(platform, acme, [{"message": "tail-probe one", "service": "live"}])
    # Required by the issue: on screen within 2 s of the ingest's acknowledgement.
    page.locator("td.msg", has_text="tail-probe one").wait_for(timeout=2000)
    arrived = time.monotonic() - ingested
    # Pause: events wait, then appear on resume.
    page.get_by_role("button", name="Pause").click()
    ingest(platform, acme, [{"message": "tail-probe two", "service": "live"}])
    page.get_by_role("button", name="Resume (1 waiting)").wait_for()
    assert page.locator("td.msg", has_text="tail-probe two").count() == 0
    page.get_by_role("button", name=re.compile("^Resume")).click()
    page.locator("td.msg", has_text="tail-probe two").wait_for()
    # A filter applied while connected: only matching events from now on.
    page.get_by_label("Filter").fill("service:live severity:>=error")
    page.get_by_role("button", name="Apply").click()
    ingest(
        platform,
        acme,
        [
            {"message": "tail-probe quiet", "service": "live"},
            {"message": "tail-probe loud", "service": "live", "severity": "error"},
        ],
    )
    page.locator("td.msg", has_text="tail-probe loud").wait_for()
    assert page.locator("td.msg", has_text="tail-probe quiet").count() == 0
    tab.shot("tail")
    (ARTIFACTS / "tail.json").write_text(json.dumps({"ingest_to_screen_seconds": round(arrived, 3)}))


def test_the_tail_resumes_after_a_reconnect_without_a_gap(tab: Watched, platform: Platform, acme: Tenant) -> None:
    login(tab, acme, "viewer")
    page = tab.page
    sockets: list[Any] = []

    def through(ws: Any) -> None:
        # A pass-through to the real server, which the test can cut like a dropped network.
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/api/v1/logs/stream.*"), through)
    page.goto("/#/tail")
    page.locator(".status[data-state='live']").wait_for()
    ingest(platform, acme, [{"message": "resume-probe before", "service": "resume"}])
    page.locator("td.msg", has_text="resume-probe before").wait_for()
    sockets[-1].close(code=1012, reason="cut by the test")
    page.locator(".status[data-state='closed']").wait_for()
    ingest(platform, acme, [{"message": "resume-probe while away", "service": "resume"}])
    page.locator("td.msg", has_text="resume-probe while away").wait_for()
    assert len(sockets) == 2 and "since_id=" in sockets[1].url  # resumed after the last event seen
    assert page.locator("td.msg", has_text="resume-probe before").count() == 1  # no duplicate


def test_admin_creates_an_api_key_and_sees_it_once(tab: Watched, platform: Platform, acme: Tenant) -> None:
    login(tab, acme, "admin")
    page = tab.page
    page.locator("#nav").get_by_role("link", name="Admin").click()
    page.get_by_role("heading", name="API keys").wait_for()
    page.get_by_label("Key name").fill("browser-made")
    page.get_by_role("checkbox", name="read").check()
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("The new API key")
    secret.wait_for()
    key = secret.input_value()
    assert key.startswith("lp_")
    tab.shot("admin")
    used = httpx.get(
        f"{platform.base}/api/v1/logs", params={"page_size": 1}, headers={"Authorization": f"Bearer {key}"}
    )
    assert used.status_code == 200, used.text
    page.locator("table.keys td", has_text="browser-made").wait_for()
    # Shown once: after leaving the page it is nowhere to be read again.
    page.get_by_role("button", name="I have stored it").click()
    page.reload()
    page.locator("table.keys td", has_text="browser-made").wait_for()
    assert key not in page.content()
    listed = httpx.get(f"{platform.base}/api/v1/keys", headers=acme.headers()).text
    assert key not in listed
    page.locator("table.audit td", has_text="key.create").first.wait_for()
    assert "days" in page.locator("dl.settings").inner_text()  # retention, from GET /api/v1/tenant


def test_a_viewer_cannot_reach_the_admin_pages(tab: Watched, platform: Platform, acme: Tenant) -> None:
    login(tab, acme, "viewer")
    page = tab.page
    assert page.locator("#nav").get_by_role("link", name="Admin").count() == 0
    page.goto("/#/admin")
    page.get_by_role("heading", name="Not allowed").wait_for()
    assert page.locator("table.keys, table.users").count() == 0
    with httpx.Client(base_url=platform.base, timeout=30) as client:
        csrf = session_login(client, acme, "viewer")
        assert client.get("/api/v1/users").status_code == 403
        assert client.get("/api/v1/keys").status_code == 403
        made = client.post("/api/v1/keys", json={"name": "nope", "scopes": ["read"]}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 403


def test_a_second_tenants_user_sees_none_of_the_first_tenants_data(
    tab: Watched, platform: Platform, acme: Tenant, beta: Tenant
) -> None:
    login(tab, beta, "admin")
    page = tab.page
    page.goto("/#/search?from=now-24h&to=now")
    page.locator(".summary", has_text="1 events match").wait_for()
    # The summary can be the login's now-1h search still on screen while the 24 h one renders.
    page.locator(".rows .event", has_text="beta-marker").wait_for()
    # textContent: it holds the rows Chromium has not laid out yet (`content-visibility: auto`).
    text = page.locator("main").text_content() or ""
    assert "beta-marker" in text and "acme-marker" not in text and "xss-probe" not in text
    assert "attr.order.region" not in page.locator("aside.fields").inner_text()
    # The live tail carries none of acme's events either.
    page.goto("/#/tail")
    page.locator(".status[data-state='live']").wait_for()
    ingest(platform, acme, [{"message": "acme-marker live", "service": "live"}])
    ingest(platform, beta, [{"message": "beta-marker live", "service": "live"}])
    page.locator("td.msg", has_text="beta-marker live").wait_for()
    assert page.locator("td.msg", has_text="acme-marker").count() == 0
    # Admin: only beta's users and keys.
    page.goto("/#/admin")
    page.locator("table.users").wait_for()
    users = page.locator("table.users").inner_text()
    assert beta.users["admin"] in users and acme.users["admin"] not in users


def test_tasks_ingest_pages_and_a_narrow_window(tab: Watched, browser: Any, platform: Platform, acme: Tenant) -> None:
    login(tab, acme, "admin")
    page = tab.page
    page.locator("#nav").get_by_role("link", name="Tasks").click()
    page.get_by_role("heading", name="New export").wait_for()
    page.locator("form.inline-form").first.get_by_label("Query").fill("service:checkout")
    page.get_by_role("button", name="Start export").click()
    link = page.get_by_role("link", name=re.compile(r"^Download ndjson \(24 rows\)"))
    link.wait_for(timeout=60000)
    assert link.get_attribute("href").startswith("http://127.0.0.1:")
    tab.shot("tasks")
    page.locator("#nav").get_by_role("link", name="Ingest").click()
    page.get_by_role("tab", name="Fluent Bit").click()
    assert "Path               /api/v1/compat/elasticsearch" in page.get_by_role("tabpanel").inner_text()
    page.get_by_role("button", name="Parse").click()
    page.get_by_role("cell", name="access_log", exact=True).wait_for()
    tab.shot("ingest")

    narrow, watched = open_tab(browser, platform, width=420, height=800)
    try:
        login(watched, acme, "viewer")
        watched.page.locator(".summary", has_text="events match").wait_for()
        assert watched.page.evaluate("document.documentElement.scrollWidth") <= 420
        watched.shot("search-narrow")
        assert watched.unexpected() == [] and watched.outside == []
    finally:
        narrow.close()


def test_keyboard_reaches_the_search_and_the_results(tab: Watched, acme: Tenant) -> None:
    login(tab, acme, "viewer")
    page = tab.page
    page.reload()
    page.locator(".summary").wait_for()
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("Query").focus()
    page.keyboard.type("service:checkout")
    page.keyboard.press("Enter")
    page.locator(".summary", has_text="24 events match").wait_for()
    page.locator(".rows .event button.expand").first.focus()
    page.keyboard.press("Enter")
    page.locator(".rows .detail pre.json").first.wait_for()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
