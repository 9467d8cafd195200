"""S3 and SQS from LocalStack (the AWS emulator the container deployment uses), without Docker.

`localstack-core` needs Python ≥ 3.13 (3.12/3.13-only syntax, `warnings.deprecated`) while logplane
runs on 3.11, so it lives in a virtual environment of its own, made on first use under
`~/.cache/logplane/localstack/<version>` from pinned packages (its newest releases of cbor2,
pyOpenSSL and cryptography do not work together) and started as `python -m localstack.runtime.main`.
The community edition keeps no state across restarts.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from src.adapters.embedded.process import ChildProcess
from src.adapters.embedded.service import LaunchError, RunningService, ensure_port_free, free_port

VERSION = "2026.3.0"
PACKAGES = (
    f"localstack-core[runtime]=={VERSION}",
    "cbor2<5.7",
    "pyopenssl<24.3",
    "cryptography<44",
    "service_identity",
)
_HOST = "127.0.0.1"
_PYTHON_ENV = "LOGPLANE_LOCALSTACK_PYTHON"


def _is_recent_python(path: str) -> bool:
    try:
        done = subprocess.run(
            [path, "-c", "import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_python() -> str | None:
    """A Python ≥ 3.13: `LOGPLANE_LOCALSTACK_PYTHON`, then python3.13+ on PATH, then pyenv's versions.
    Each candidate is run once: a pyenv shim exists for versions that are not selected."""
    candidates: list[str] = []
    if os.environ.get(_PYTHON_ENV):
        candidates.append(os.environ[_PYTHON_ENV])
    for minor in (13, 14, 15):
        if found := shutil.which(f"python3.{minor}"):
            candidates.append(found)
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates.extend(sorted(glob.glob(f"{pyenv_root}/versions/3.1[3-9]*/bin/python3"), reverse=True))
    return next((c for c in candidates if _is_recent_python(c)), None)


def localstack_unavailable() -> str | None:
    """None when LocalStack can run here, else why not (shown to the user)."""
    if find_python() is None:
        return f"no Python >= 3.13 found (set {_PYTHON_ENV}, or install one, e.g. `pyenv install 3.13`)"
    return None


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "logplane" / "localstack" / VERSION


def ensure_installed(python: str | None = None) -> Path:
    """The venv's interpreter, installing LocalStack first if needed (minutes, once per machine)."""
    python = python or find_python()
    if python is None:
        raise LaunchError(f"localstack: {localstack_unavailable()}")
    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    venv = target / "venv"
    done = target / "installed"
    # Several test sessions may start at once: one installs, the others wait for it.
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists() and (venv / "bin" / "python").exists():
            return venv / "bin" / "python"
        shutil.rmtree(venv, ignore_errors=True)
        steps = [
            [python, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--quiet", "--upgrade", "pip"],
            [str(venv / "bin" / "pip"), "install", "--quiet", *PACKAGES],
        ]
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, timeout=1800, check=False)
            if result.returncode != 0:
                raise LaunchError(f"localstack: `{' '.join(step[:3])} …` failed: {result.stderr[-2000:]}")
        done.write_text(VERSION)
    return venv / "bin" / "python"


def start_localstack(
    port: int | None = None, *, data_dir: Path, log_path: Path | None = None, timeout: float = 180.0
) -> RunningService:
    """Start LocalStack with S3 and SQS on 127.0.0.1 and wait until both are available."""
    interpreter = ensure_installed()
    if port is None:
        port = free_port(_HOST)
    else:
        ensure_port_free(_HOST, port, what="localstack")
    url = f"http://{_HOST}:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "SERVICES": "s3,sqs",
        "GATEWAY_LISTEN": f"{_HOST}:{port}",
        "LOCALSTACK_HOST": f"{_HOST}:{port}",
        # Host mode, with every file under our data dir (not /var/lib/localstack).
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(data_dir),
        # Queue URLs on our own address: the default names a *.localstack.cloud host, which needs DNS.
        "SQS_ENDPOINT_STRATEGY": "path",
        # No DNS server of its own and no certificate download: the machine may be offline.
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
    }
    child = ChildProcess("localstack", [str(interpreter), "-m", "localstack.runtime.main"], log_path=log_path, env=env)
    child.wait_ready(lambda: _available(url), timeout=timeout)
    return RunningService(name="localstack", url=url, pid=child.pid, stop=child.stop)


def _available(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/health", timeout=2.0) as resp:
            services = orjson.loads(resp.read()).get("services", {})
    except (urllib.error.URLError, OSError, orjson.JSONDecodeError):
        return False
    return all(services.get(name) in ("available", "running") for name in ("s3", "sqs"))
