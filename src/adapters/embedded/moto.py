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


def start_moto(port: int | None = None, *, log_path: Path | None = None, timeout: float = 30.0) -> RunningService:
    """Start `python -m moto.server` on 127.0.0.1 and wait until it answers HTTP.

    All AWS services share the one endpoint; clients need `endpoint_url=<url>`, any non-empty
    credentials and a region (moto does not check signatures). State is in memory only.

    Returns url `http://127.0.0.1:PORT`.
    """
    if importlib.util.find_spec("moto.server") is None:
        raise LaunchError("moto: moto[server] is not installed in this interpreter")
    if port is None:
        port = free_port(_HOST)
    else:
        ensure_port_free(_HOST, port, what="moto")
    url = f"http://{_HOST}:{port}"
    child = ChildProcess("moto", [sys.executable, "-m", "moto.server", "-H", _HOST, "-p", str(port)], log_path=log_path)
    child.wait_ready(lambda: _answers_http(url), timeout=timeout)
    return RunningService(name="moto", url=url, pid=child.pid, stop=child.stop)


def _answers_http(url: str) -> bool:
    # moto's own management API: cheap, and only moto answers it, so a foreign server on the port fails.
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1.0) as resp:
            status: int = resp.status
            return status == 200
    except (urllib.error.URLError, OSError):
        return False
