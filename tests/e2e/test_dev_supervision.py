"""Issue 10, finding 5 (the supervision half): `logplane dev` restarts what dies, and recreates the
queues and bucket of an S3/SQS server that came back empty; `logplane worker status` sees the workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from src.adapters.embedded.service import free_port
from tests.e2e.test_dev_stack import SERVICE_ENV, _start, _stop, _wait_for_banner


def _child(proc: subprocess.Popen[str], needle: str) -> psutil.Process | None:
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if needle in " ".join(child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def _until(check: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.3)  # polling another process tree: nothing to wait on but its state
    raise AssertionError(f"not within {within:.0f} s: {what}")


def test_dev_restarts_a_killed_service_and_worker_and_reprovisions(tmp_path: Path) -> None:
    data_dir, port = tmp_path / ".logplane", free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port)
    try:
        _wait_for_banner(proc)
        moto = _child(proc, "moto.server")
        worker = _child(proc, "worker all")
        assert moto is not None and worker is not None
        moto.send_signal(signal.SIGKILL)
        worker.send_signal(signal.SIGKILL)

        def healthy_again() -> bool:
            new_moto, new_worker = _child(proc, "moto.server"), _child(proc, "worker all")
            if new_moto is None or new_worker is None or new_moto.pid == moto.pid or new_worker.pid == worker.pid:
                return False
            try:
                checks = httpx.get(f"{base}/health/ready", timeout=5).json()["checks"]
            except httpx.HTTPError:
                return False
            return bool(checks.get("sqs") == "ok" and checks.get("s3") == "ok")

        # The queues and the bucket are back (moto restarts empty): readiness probes both.
        _until(healthy_again, 90, "moto and the workers restarted, queues and bucket recreated")
        clean = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}

        def workers_report() -> bool:
            done = subprocess.run(
                [sys.executable, "-m", "src.entrypoints.cli.main", "worker", "status", "--json"],
                env={**clean, "LOGPLANE_WORKER_STATUS_DIR": str(data_dir / "workers")},
                capture_output=True,
                text=True,
                timeout=60,
            )
            rows = json.loads(done.stdout or "[]")
            alive = [r for r in rows if r["status"] not in ("dead", "stale")]
            return any(r["worker"] == "index" for r in alive)

        _until(workers_report, 60, "logplane worker status lists the restarted index worker")
    finally:
        assert _stop(proc) == 0
