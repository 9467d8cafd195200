"""Child server processes that die with their parent and stop politely, then firmly."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from src.adapters.embedded.service import LaunchError, wait_until

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to SIGTERM the child when its parent goes away.

    Caveat: Linux ties PDEATHSIG to the *thread* that forked, so start servers from the main thread or
    a long-lived one (an executor thread that later exits would take the server with it).
    """
    if not sys.platform.startswith("linux"):
        return None
    # Resolved here in the parent so the forked child does nothing but two syscalls before exec.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died between fork and prctl; then nobody would ever send the signal.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


class ChildProcess:
    """One server binary run in the foreground, its output captured for error messages.

    Output goes to `log_path` when given (appended), otherwise to an anonymous temp file: a pipe nobody
    reads would eventually fill and freeze a chatty server such as moto's request log.
    """

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self._log: IO[bytes] = open(log_path, "a+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent_hook(),
                env=None if env is None else {**os.environ, **env},
            )
        except OSError as e:
            self._log.close()
            raise LaunchError(f"{name}: cannot run {args[0]}: {e}") from e

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def wait_ready(self, probe: Callable[[], bool], *, timeout: float) -> None:
        """Wait for `probe`; on failure stop the child and raise with the tail of its output."""
        try:
            wait_until(probe, timeout=timeout, what=self.name, alive=self.alive)
            if not self.alive():  # the probe was answered by someone else, e.g. a server already on the port
                raise LaunchError(f"{self.name}: process exited; is the port already in use?")
        except LaunchError as e:
            self._terminate()
            output = self._tail()
            self.stop()
            raise LaunchError(f"{e}\n--- {self.name} output ---\n{output}") from None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, wait `grace` seconds, then SIGKILL; always reaps so no zombie is left behind."""
        self._terminate(grace)
        self._log.close()

    def _terminate(self, grace: float = 5.0) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(grace)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def _tail(self, limit: int = 4000) -> str:
        try:
            self._log.flush()
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - limit))
            return self._log.read().decode(errors="replace")
        except (OSError, ValueError):  # append-only or already closed: nothing more to show
            return "(output unavailable)"
