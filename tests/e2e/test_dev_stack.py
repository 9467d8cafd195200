"""`logplane dev` end to end: a fresh data dir, the embedded stack, the API and workers as children."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from src.adapters.embedded.service import free_port

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


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "src.entrypoints.cli.main", "dev", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_banner(proc: subprocess.Popen[str], timeout: float = 90) -> str:
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            pytest.fail(f"logplane dev exited early with {proc.returncode}: {''.join(seen)}")
        seen.append(line)
        if "Press Ctrl-C" in line:
            return "".join(seen)
    pytest.fail("logplane dev did not print its banner in time")


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=60)


def test_dev_runs_the_platform_and_reuses_its_data(tmp_path: Path) -> None:
    data_dir, port = tmp_path / ".logplane", free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port)
    try:
        banner = _wait_for_banner(proc)
        state = json.loads((data_dir / "dev.json").read_text())
        key = state["demo"]["api_key"]
        assert key in banner and "curl" in banner
        assert oct((data_dir / "dev.json").stat().st_mode)[-3:] == "600"
        # The banner's copy-paste line really ingests and reads back a log.
        line = next(ln.strip() for ln in banner.splitlines() if ln.strip().startswith("ID=$(curl"))
        echoed = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)
        assert json.loads(echoed.stdout)["message"] == "hello from curl", echoed.stderr
        headers = {"Authorization": f"Bearer {key}"}
        stored = httpx.post(f"{base}/api/v1/logs", json={"message": "from e2e"}, headers=headers, timeout=10)
        assert stored.status_code == 201, stored.text
        token = httpx.post(f"{base}/api/v1/auth/token", json={"api_key": key}, timeout=10).json()["access_token"]
        again = httpx.post(
            f"{base}/api/v1/logs", json={"message": "via jwt"}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert again.status_code == 201
        ready = httpx.get(f"{base}/health/ready", timeout=10).json()
        assert ready["checks"] == {"postgres": "ok", "redis": "ok", "opensearch": "ok", "sqs": "ok", "s3": "ok"}
        tenants = httpx.get(
            f"{base}/api/v1/tenants", headers={"Authorization": f"Bearer {state['admin_token']}"}, timeout=10
        )
        assert [t["name"] for t in tenants.json()["items"]] == ["demo"]
        # The banner's console login works as printed.
        demo = state["demo"]
        assert f"{demo['console_email']} / {demo['console_password']}" in banner
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"tenant": demo["name"], "email": demo["console_email"], "password": demo["console_password"]},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        assert login.json()["user"]["role"] == "admin"
        # The README's next steps, from the same checkout and with nothing set: they reach this stack.
        clean = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV and k != "LOGPLANE_ENV"}

        def cli(*args: str) -> dict[str, str]:
            done = subprocess.run(
                [sys.executable, "-m", "src.entrypoints.cli.main", *args, "--json"],
                env=clean,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            result: dict[str, str] = json.loads(done.stdout)
            return result

        acme = cli("tenants", "create", "--name", "readme-acme")
        ci = cli("keys", "create", "--tenant", acme["tenant_id"], "--name", "ci", "--scopes", "ingest")
        shipped = httpx.post(
            f"{base}/api/v1/logs", json={"message": "m"}, headers={"Authorization": f"Bearer {ci['api_key']}"}
        )
        assert shipped.status_code == 201, shipped.text
        tenants = httpx.get(
            f"{base}/api/v1/tenants", headers={"Authorization": f"Bearer {state['admin_token']}"}, timeout=10
        )
        assert sorted(t["name"] for t in tenants.json()["items"]) == ["demo", "readme-acme"]
    finally:
        code = _stop(proc)
    assert code == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health/live", timeout=2)

    # A second run finds the same database: the demo tenant and its key still work, nothing new is made.
    proc = _start(data_dir, port)
    try:
        _wait_for_banner(proc)
        state_again = json.loads((data_dir / "dev.json").read_text())
        assert state_again["demo"] == state["demo"]
        assert state_again["admin_token"] == state["admin_token"]
        tenants = httpx.get(
            f"{base}/api/v1/tenants", headers={"Authorization": f"Bearer {state['admin_token']}"}, timeout=10
        )
        assert len(tenants.json()["items"]) == 2
        # osmem-server started empty: dev reindexed PostgreSQL into it, so full-text search finds the
        # events of the first run (the index worker runs as a child of dev).
        found: dict[str, object] = {}
        for _ in range(100):
            response = httpx.get(f"{base}/api/v1/logs", params={"q": "curl"}, headers=headers, timeout=10)
            found = response.json()
            if response.status_code == 200 and found["total"] == 1:
                break
            time.sleep(0.3)
        assert found["total"] == 1, found
    finally:
        assert _stop(proc) == 0
