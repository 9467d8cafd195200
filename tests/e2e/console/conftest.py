"""The console in a real Chromium: `logplane dev` as a child process (the whole platform, workers
included), Debian's chromium driven by Playwright (no browser download), and a page fixture that
fails the test on any console error, uncaught exception, or request leaving 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from src.adapters.embedded.service import free_port

CHROMIUM = os.environ.get("LOGPLANE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
SERVICE_ENV = (
    "DATABASE_URL",
    "LOGPLANE_DATABASE_URL",
    "REDIS_URL",
    "LOGPLANE_REDIS_URL",
    "AWS_ENDPOINT_URL",
    "LOGPLANE_AWS_ENDPOINT_URL",
    "OPENSEARCH_URL",
    "LOGPLANE_OPENSEARCH_URL",
)
PASSWORD = "correct horse battery staple"


@dataclass
class Platform:
    base: str
    data_dir: Path
    admin_token: str
    demo: dict[str, str]
    issuer: str  # the OpenID Connect provider the platform offers single sign-on through

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


@dataclass
class Tenant:
    id: str
    name: str
    api_key: str
    users: dict[str, str] = field(default_factory=dict)  # role -> email

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def _start(data_dir: Path, port: int, stderr: Path, issuer: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    # Alert rules evaluated every 2 s (not 60): the console test sees a rule it created fire.
    env.setdefault("LOGPLANE_ALERTS_EVALUATION_INTERVAL_SECONDS", "2")
    # Single sign-on through a real (mock) provider in this process: the login page offers it.
    env.update(
        LOGPLANE_OIDC_ISSUER=issuer,
        LOGPLANE_OIDC_CLIENT_ID="logplane-console",
        LOGPLANE_OIDC_CLIENT_SECRET="console-oidc-secret-" + "s" * 24,
        LOGPLANE_OIDC_REDIRECT_URI=f"http://127.0.0.1:{port}/api/v1/auth/oidc/callback",
    )
    with stderr.open("w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "src.entrypoints.cli.main", "dev", "--data-dir", str(data_dir), "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )


def _wait_for_banner(proc: subprocess.Popen[str], stderr: Path, timeout: float = 180) -> None:
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            tail = stderr.read_text()[-3000:]
            pytest.fail(f"logplane dev exited early with {proc.returncode}: {''.join(seen)}\n{tail}")
        seen.append(line)
        if "Press Ctrl-C" in line:
            return
    pytest.fail("logplane dev did not print its banner in time")


def _launch(base_dir: Path, issuer: str) -> tuple[subprocess.Popen[str], Path, int]:
    data_dir, port = base_dir / ".logplane", free_port()
    stderr = base_dir / "dev.stderr"
    proc = _start(data_dir, port, stderr, issuer)
    try:
        _wait_for_banner(proc, stderr)
    except pytest.fail.Exception:
        _stop(proc)
        raise
    return proc, data_dir, port


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)  # logplane dev stops its services and children on Ctrl-C
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium chromium-driver)")
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as provider:
        host, provider_port = provider.server_address[:2]
        assert host == "127.0.0.1", host  # the tab fixture lets nothing else through
        issuer = f"http://127.0.0.1:{provider_port}"
        try:
            proc, data_dir, port = _launch(tmp_path_factory.mktemp("console"), issuer)
        except pytest.fail.Exception:
            # One more try in a fresh directory: on a machine shared by several test suites, a
            # start-up can lose a race for system resources (initdb's semaphores, a free port taken).
            proc, data_dir, port = _launch(tmp_path_factory.mktemp("console"), issuer)
        try:
            state = json.loads((data_dir / "dev.json").read_text())
            yield Platform(
                base=f"http://127.0.0.1:{port}",
                data_dir=data_dir,
                admin_token=state["admin_token"],
                demo=state["demo"],
                issuer=issuer,
            )
        finally:
            _stop(proc)


def new_tenant(platform: Platform, prefix: str) -> Tenant:
    name = f"{prefix}-{secrets.token_hex(3)}"
    created = httpx.post(f"{platform.base}/api/v1/tenants", json={"name": name}, headers=platform.admin(), timeout=30)
    assert created.status_code == 201, created.text
    body = created.json()
    return Tenant(id=body["tenant_id"], name=name, api_key=body["api_key"])


def add_user(platform: Platform, tenant: Tenant, role: str) -> str:
    email = f"{role}-{secrets.token_hex(3)}@example.test"
    created = httpx.post(
        f"{platform.base}/api/v1/tenants/{tenant.id}/users",
        json={"email": email, "role": role, "password": PASSWORD},
        headers=platform.admin(),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    tenant.users[role] = email
    return email


@pytest.fixture(scope="package")
def browser(platform: Platform) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclass
class Watched:
    """A browser tab whose console errors, page errors and off-host requests are collected."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    # Chrome logs every non-2xx fetch as a console error ("Failed to load resource … 422"): a test
    # that provokes one on purpose names it here; anything else fails the test.
    allow: list[str] = field(default_factory=lambda: ["401 (Unauthorized) @ /api/v1/auth/me"])

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allow)]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def open_tab(browser: Any, platform: Platform, *, width: int = 1280, height: int = 800) -> tuple[Any, Watched]:
    context = browser.new_context(base_url=platform.base, viewport={"width": width, "height": height})
    page = context.new_page()
    watched = Watched(page=page)

    def on_console(message: Any) -> None:
        if message.type == "error":
            where = urlsplit(message.location.get("url", "")).path
            watched.errors.append(f"console: {message.text} @ {where}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"pageerror: {error}"))

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            watched.outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    # WebSockets bypass context.route: they are checked from the request log instead.
    page.on(
        "websocket", lambda ws: None if urlsplit(ws.url).hostname == "127.0.0.1" else watched.outside.append(ws.url)
    )
    return context, watched


@pytest.fixture
def tab(browser: Any, platform: Platform) -> Iterator[Watched]:
    context, watched = open_tab(browser, platform)
    yield watched
    context.close()
    assert watched.outside == [], f"requests left 127.0.0.1: {watched.outside}"
    assert watched.unexpected() == []


def wait_until(predicate: Any, timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def ingest(platform: Platform, tenant: Tenant, events: list[dict[str, Any]]) -> list[str]:
    response = httpx.post(f"{platform.base}/api/v1/logs/bulk", json=events, headers=tenant.headers(), timeout=60)
    assert response.status_code == 201, response.text
    return [item["id"] for item in response.json()["items"]]


def searchable(platform: Platform, tenant: Tenant, q: str, count: int) -> None:
    def found() -> bool:
        r = httpx.get(f"{platform.base}/api/v1/logs", params={"q": q, "from": "now-1h"}, headers=tenant.headers())
        return r.status_code == 200 and r.json()["total"] >= count

    wait_until(found, timeout=60, what=f"{count} events matching {q!r} to be searchable")


def login(tab: Watched, tenant: Tenant, role: str) -> None:
    page = tab.page
    page.goto("/")
    page.get_by_label("Tenant").fill(tenant.name)
    page.get_by_label("Email").fill(tenant.users[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.locator("#nav").get_by_role("link", name="Search").wait_for()
    page.locator("main[data-page='search']").wait_for()


def session_login(client: httpx.Client, tenant: Tenant, role: str) -> str:
    """Logs `client` in as the tenant's user (cookies kept by the client); answers the CSRF token."""
    r = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.name, "email": tenant.users[role], "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    csrf: str = r.json()["csrf_token"]
    return csrf
