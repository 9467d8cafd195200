"""S3 and SQS for the local stack: moto's server mode, run as a child Python process.

A subprocess rather than moto's in-process `ThreadedMotoServer`: moto patches botocore globally when
imported, and keeping it out of the application's interpreter means the app talks to it over HTTP
exactly as it would to AWS.
"""

from __future__ import annotations

import importlib.util
import sys
import urllib.error
import urllib.request
from pathlib import Path

from src.adapters.embedded.process import ChildProcess
from src.adapters.embedded.service import LaunchError, RunningService, ensure_port_free, free_port

_HOST = "127.0.0.1"


def start_moto(
    port: int | None = None, *, log_path: Path | None = None, record_to: Path | None = None, timeout: float = 30.0
) -> RunningService:
    """Start `python -m moto.server` on 127.0.0.1 and wait until it answers HTTP.

    All AWS services share the one endpoint; clients need `endpoint_url=<url>`, any non-empty
    credentials and a region (moto does not check signatures). State is in memory, unless
    `record_to` names a file: then moto's recorder appends every request to it, and a server
    started on an existing recording replays it first, so buckets and objects survive restarts.

    Returns url `http://127.0.0.1:PORT`.
    """
    if importlib.util.find_spec("moto.server") is None:
        raise LaunchError("moto: moto[server] is not installed in this interpreter")
    if port is None:
        port = free_port(_HOST)
    else:
        ensure_port_free(_HOST, port, what="moto")
    url = f"http://{_HOST}:{port}"
    env = {"MOTO_ENABLE_RECORDING": "true", "MOTO_RECORDER_FILEPATH": str(record_to)} if record_to else None
    child = ChildProcess(
        "moto", [sys.executable, "-m", "moto.server", "-H", _HOST, "-p", str(port)], log_path=log_path, env=env
    )
    child.wait_ready(lambda: _answers_http(url), timeout=timeout)
    if record_to is not None and record_to.exists() and record_to.stat().st_size:
        try:
            request = urllib.request.Request(f"{url}/moto-api/recorder/replay-recording", method="POST")
            with urllib.request.urlopen(request, timeout=max(timeout, 120.0)):
                pass
        except (urllib.error.URLError, OSError) as e:
            child.stop()
            raise LaunchError(f"moto: replaying {record_to} failed: {e}") from e
    return RunningService(name="moto", url=url, pid=child.pid, stop=child.stop)


def _answers_http(url: str) -> bool:
    # moto's own management API: cheap, and only moto answers it, so a foreign server on the port fails.
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1.0) as resp:
            status: int = resp.status
            return status == 200
    except (urllib.error.URLError, OSError):
        return False
