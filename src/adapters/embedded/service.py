"""A handle on one server of the zero-setup local stack, and the port/readiness helpers they share.

The launchers in this package (`postgres`, `redis`, `moto`, `osmem`) each return a `RunningService`;
`logplane dev` and the pytest fixtures only ever see this type, never the technology behind it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

_POLL_INTERVAL = 0.02


class LaunchError(RuntimeError):
    """A local server could not be started: binary missing, port taken, or not ready in time."""


class RunningService:
    """A started server: its name, the URL clients should use, and how to stop it.

    `stop()` is idempotent and thread-safe, because a fixture teardown, an `atexit` hook and a signal
    handler may all race to call it. The underlying stop callable runs at most once, even if it raises:
    retrying a half-failed stop is the job of the parent-death safety net, not of a loop here.
    """

    __slots__ = ("_lock", "_stop", "_stopped", "name", "pid", "url")

    def __init__(self, *, name: str, url: str, pid: int | None, stop: Callable[[], None]) -> None:
        self.name = name
        self.url = url
        self.pid = pid
        self._stop = stop
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._stop()

    def __enter__(self) -> RunningService:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"RunningService(name={self.name!r}, url={self.url!r}, pid={self.pid}, {state})"


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now.

    There is a small race between closing this socket and the child binding the port; launchers that
    picked the port themselves surface a lost race as `LaunchError` (the child exits on EADDRINUSE).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(host: str, port: int, *, what: str) -> None:
    """Refuse an explicitly requested port that something already answers on.

    Without this a readiness probe could be answered by the squatter (say, a system Redis on 6379)
    while our own child quietly dies on EADDRINUSE.
    """
    if port_is_open(host, port):
        raise LaunchError(f"{what}: {host}:{port} is already in use")


def wait_until(
    probe: Callable[[], bool], *, timeout: float, what: str, alive: Callable[[], bool] | None = None
) -> None:
    """Poll `probe` until it returns True; fail fast if `alive` says the process already died."""
    deadline = time.monotonic() + timeout
    while not probe():
        if alive is not None and not alive():
            raise LaunchError(f"{what}: process exited before it was ready")
        if time.monotonic() >= deadline:
            raise LaunchError(f"{what}: not ready within {timeout:g} s")
        time.sleep(_POLL_INTERVAL)


def wait_for_tcp(host: str, port: int, timeout: float = 10.0) -> None:
    """Wait until something accepts TCP connections on host:port, else raise `LaunchError`."""
    wait_until(lambda: port_is_open(host, port), timeout=timeout, what=f"tcp {host}:{port}")
