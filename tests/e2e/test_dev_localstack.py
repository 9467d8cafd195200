"""`logplane dev --aws localstack`: the local stack on LocalStack's S3 and SQS (the emulator of the
container deployment), with the workers: an export goes through the SQS queue, lands in S3 and
downloads through its presigned link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from src.adapters.embedded.localstack import localstack_unavailable
from src.adapters.embedded.service import free_port
from tests.e2e.test_dev_stack import SERVICE_ENV, _stop, _wait_for_banner

UNAVAILABLE = localstack_unavailable()
DEV = (sys.executable, "-m", "src.entrypoints.cli.main", "dev")


@pytest.mark.skipif(UNAVAILABLE is not None, reason=f"LocalStack cannot run here: {UNAVAILABLE}")
def test_dev_on_localstack_exports_through_sqs_and_s3(tmp_path: Path) -> None:
    data_dir, port = tmp_path / ".logplane", free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    proc = subprocess.Popen(
        [*DEV, "--aws", "localstack", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_for_banner(proc, timeout=600)  # the first run installs LocalStack
        state = json.loads((data_dir / "dev.json").read_text())
        endpoint = state["services"]["LOGPLANE_AWS_ENDPOINT_URL"]
        health = httpx.get(f"{endpoint}/_localstack/health", timeout=10).json()
        assert health["services"]["sqs"] in ("available", "running")
        headers = {"Authorization": f"Bearer {state['demo']['api_key']}"}
        stored = httpx.post(
            f"{base}/api/v1/logs/bulk",
            json=[{"message": f"localstack {i}", "service": "ls"} for i in range(5)],
            headers=headers,
            timeout=10,
        )
        assert stored.status_code == 201, stored.text
        created = httpx.post(
            f"{base}/api/v1/exports",
            json={"format": "ndjson", "filters": {"service": "ls"}},
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 202, created.text
        task_id = created.json()["task_id"]

        deadline = time.monotonic() + 120  # a condition, polled: the worker takes what the machine gives it
        export: dict[str, object] = {}
        while time.monotonic() < deadline:
            export = httpx.get(f"{base}/api/v1/exports/{task_id}", headers=headers, timeout=10).json()
            if export["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        assert export["status"] == "succeeded", export
        assert export["rows"] == 5
        download = httpx.get(str(export["url"]), timeout=10)
        assert download.status_code == 200
        lines = [json.loads(line) for line in download.text.splitlines() if line]
        assert sorted(e["message"] for e in lines) == [f"localstack {i}" for i in range(5)]
    finally:
        assert _stop(proc) == 0
