"""Who used the cores during a timed phase, read from /proc; and waiting for a quiet machine.

On a 2-core box shared with other sessions, a rate alone says little: each phase reports the cores
used by the process trees it names (the API, a worker, a search node …), PostgreSQL and Redis (by
process name, unless a tree of that name is given), this script with its load generators, and the
rest of the machine (`other`); CPU microseconds per item move far less than rates under load.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from bench.harness.common import log

_TICK = os.sysconf("SC_CLK_TCK")
# Load generators and profilers this script starts, counted as its own (`me`) CPU.
_TOOLS = ("wrk", "py-spy")


@dataclass(frozen=True, slots=True)
class Proc:
    comm: str
    ppid: int
    cpu: float  # seconds so far, user + kernel
    kernel: float  # of which in the kernel


def processes() -> dict[int, Proc]:
    out: dict[int, Proc] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        utime, stime = int(fields[11]), int(fields[12])
        out[int(entry)] = Proc(comm, int(fields[1]), (utime + stime) / _TICK, stime / _TICK)
    return out


def postgres_cpu() -> float:
    """CPU seconds of every postgres process so far (the in-process stage benchmarks' server side)."""
    return sum(p.cpu for p in processes().values() if p.comm == "postgres")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (not idle, not waiting for I/O)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / _TICK


def tree(procs: Mapping[int, Proc], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, proc in procs.items():
        children.setdefault(proc.ppid, []).append(pid)
    pids, pending = set(), [root]
    while pending:
        pid = pending.pop()
        if pid not in pids:
            pids.add(pid)
            pending += children.get(pid, [])
    return pids


def _reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Cores used per component between `start()` and `stop()` (CPU seconds / wall seconds).

    `roots` name process trees; `me` names this script, its live children, load generators
    (wrk, py-spy) and children that exited during the phase. `postgres` and `redis` are counted by
    process name unless a root of that name is given (then other sessions' servers count as other)."""

    def __init__(self, roots: Mapping[str, int | None], *, me: str = "client") -> None:
        self.roots = {name: pid for name, pid in roots.items() if pid}
        self.me = me
        self.cores: dict[str, float] = {}
        self.kernel: dict[str, float] = {}  # share of each component's CPU spent in the kernel
        self.wall = 0.0

    def start(self) -> Self:
        self._before = processes()
        self._busy = machine_busy()
        self._reaped = _reaped_children_cpu()
        self._wall = time.perf_counter()
        return self

    def _name(self, pid: int, proc: Proc, groups: dict[str, set[int]], mine: set[int]) -> str | None:
        for name, pids in groups.items():
            if pid in pids:
                return name
        if proc.comm == "postgres" and "postgres" not in groups:
            return "postgres"
        if proc.comm.startswith("redis") and "redis" not in groups:
            return "redis"
        if pid in mine or proc.comm in _TOOLS:
            return self.me
        return None

    def stop(self) -> Self:
        wall = self.wall = time.perf_counter() - self._wall
        after = processes()
        groups = {name: tree(after, pid) for name, pid in self.roots.items()}
        mine = tree(after, os.getpid())
        used: defaultdict[str, float] = defaultdict(float)
        in_kernel: defaultdict[str, float] = defaultdict(float)
        for pid, proc in after.items():
            before = self._before.get(pid)
            delta = proc.cpu - before.cpu if before else proc.cpu
            if delta <= 0:
                continue
            name = self._name(pid, proc, groups, mine)
            if name:
                used[name] += delta
                in_kernel[name] += proc.kernel - before.kernel if before else proc.kernel
        used[self.me] += _reaped_children_cpu() - self._reaped
        busy = machine_busy() - self._busy
        used["other"] = max(busy - sum(used.values()), 0.0)
        self.cores = {k: v / wall for k, v in used.items()}
        self.kernel = {k: in_kernel[k] / v for k, v in used.items() if v > 0 and k != "other"}
        self.cores["idle"] = max((os.cpu_count() or 1) - busy / wall, 0.0)
        return self

    @property
    def other(self) -> float:
        return self.cores.get("other", 0.0)

    def micros_per(self, items: int, *parts: str) -> float:
        """CPU microseconds per item spent by `parts`: robust to other load, unlike a rate."""
        return sum(self.cores.get(p, 0.0) for p in parts) * self.wall / items * 1e6

    def cost(self, items: int, main: str = "api") -> str:
        """`main / postgres / all of ours` CPU microseconds per item."""
        ours = [k for k in self.cores if k not in ("other", "idle")]
        pg = self.micros_per(items, "postgres")
        return f"{self.micros_per(items, main):.0f} / {pg:.0f} / {self.micros_per(items, *ours):.0f}"

    def describe(self) -> str:
        order = [*self.roots, "postgres", self.me, "redis", "other", "idle"]
        order += sorted(k for k in self.cores if k not in order and self.cores[k] >= 0.005)
        return ", ".join(f"{k} {self.cores.get(k, 0.0):.2f}" for k in dict.fromkeys(order))

    def kernel_shares(self) -> str:
        return ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.kernel.items())


def wait_for_quiet(max_wait: float, threshold: float = 0.25) -> float:
    """On a shared machine, start a timed phase only once the rest of the machine is near idle.

    Samples the whole machine's busy time for 0.5 s while the benchmark itself is idle; gives up
    (and says so) after `max_wait` seconds, so a machine that is never quiet still gets measured.
    Returns the load (cores) last seen."""
    deadline = time.monotonic() + max_wait
    while True:
        busy, started = machine_busy(), time.perf_counter()
        time.sleep(0.5)
        load = (machine_busy() - busy) / (time.perf_counter() - started)
        if load <= threshold:
            return load
        if time.monotonic() >= deadline:
            log(f"machine still busy ({load:.2f} cores used by others); measuring anyway")
            return load
