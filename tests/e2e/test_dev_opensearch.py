"""`logplane dev --search opensearch`: one command, the real engine behind the README's calls."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from src.adapters.embedded.opensearch import opensearch_available
from src.adapters.embedded.service import free_port

_SERVICE_ENV = ("DATABASE_URL", "REDIS_URL", "AWS_ENDPOINT_URL", "OPENSEARCH_URL", "DEV_SEARCH")


def _banner(proc: subprocess.Popen[str], timeout: float) -> str:
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


def test_dev_with_the_real_opensearch_serves_search_from_it(tmp_path: Path) -> None:
    if (missing := opensearch_available()) is not None:
        pytest.skip(missing)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k.removeprefix("LOGPLANE_") not in _SERVICE_ENV}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "src.entrypoints.cli.main", "dev", "--search", "opensearch"),
            *("--data-dir", str(tmp_path / "state"), "--port", str(port)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = _banner(proc, timeout=300)
        engine = re.search(r"real engine at (http://127\.0\.0\.1:\d+)", banner)
        assert engine, banner
        assert httpx.get(engine.group(1)).json()["version"]["distribution"] == "opensearch"
        key = json.loads((tmp_path / "state" / "dev.json").read_text())["demo"]["api_key"]
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
        sent = httpx.post(
            f"{base}/api/v1/logs", json={"message": "payment failed", "severity": "error"}, headers=headers
        )
        assert sent.status_code == 201, sent.text
        deadline = time.monotonic() + 60
        while True:
            found = httpx.get(f"{base}/api/v1/logs", params={"q": "payment -retry"}, headers=headers)
            if found.headers.get("x-logplane-source") == "opensearch" and found.json()["total"] == 1:
                break
            assert time.monotonic() < deadline, found.text
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=90) == 0
