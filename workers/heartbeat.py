"""Liveness of a worker process's loops: Prometheus gauges and a status file `logplane worker status` reads.

Every loop beats on each turn (a receive, a relay round, a health probe), so a loop that is stuck or
dead stops beating; the status file carries the process id, so a killed process is told apart
from a slow one.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import Counter, Gauge

HEARTBEAT = Gauge(
    "logplane_worker_heartbeat_timestamp_seconds", "Last heartbeat of a worker loop (unix time)", ["worker", "loop"]
)
RESTARTS = Counter("logplane_worker_loop_restarts_total", "Worker loops restarted after dying", ["worker", "loop"])
WAITING = Gauge(
    "logplane_worker_waiting_for_dependency",
    "1 while a worker has stopped taking tasks because a dependency is down",
    ["worker", "dependency"],
)


@dataclass(slots=True)
class LoopState:
    beat_at: float
    state: str = "running"
    restarts: int = 0
    last_error: str | None = None


class Heartbeats:
    def __init__(self, worker: str, status_dir: Path | None) -> None:
        self.worker = worker
        self._loops: dict[str, LoopState] = {}
        self._path = status_dir / f"{worker}-{os.getpid()}.json" if status_dir is not None else None

    def beat(self, loop: str, state: str = "running", error: str | None = None) -> None:
        now = time.time()
        entry = self._loops.setdefault(loop, LoopState(beat_at=now))
        entry.beat_at, entry.state = now, state
        if error is not None:
            entry.last_error = error[:300]
        HEARTBEAT.labels(self.worker, loop).set(now)

    def restarted(self, loop: str, error: str) -> None:
        self.beat(loop, state="restarting", error=error)
        self._loops[loop].restarts += 1
        RESTARTS.labels(self.worker, loop).inc()

    def waiting(self, dependency: str, down: bool) -> None:
        WAITING.labels(self.worker, dependency).set(1 if down else 0)

    def snapshot(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "pid": os.getpid(),
            "written_at": time.time(),
            "loops": {name: asdict(state) for name, state in sorted(self._loops.items())},
        }

    def write(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(self.snapshot()))
        tmp.replace(self._path)  # atomic: a reader never sees half a file

    def remove(self) -> None:
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(status_dir: Path, *, stale_after: float) -> list[dict[str, Any]]:
    """One row per loop of every worker process that wrote a status file, judged now."""
    rows: list[dict[str, Any]] = []
    now = time.time()
    for path in sorted(status_dir.glob("*.json")) if status_dir.is_dir() else []:
        try:
            snap = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        alive = _alive(int(snap["pid"]))
        for loop, state in snap["loops"].items():
            age = now - float(state["beat_at"])
            health = "dead" if not alive else "stale" if age > stale_after else state["state"]
            rows.append(
                {
                    "worker": snap["worker"],
                    "pid": snap["pid"],
                    "loop": loop,
                    "status": health,
                    "last_beat_seconds_ago": round(age, 1),
                    "restarts": state["restarts"],
                    "last_error": state["last_error"],
                }
            )
    return rows
