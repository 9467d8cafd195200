"""Finding 1 (and the runner half of finding 2): every worker loop survives its dependencies failing.

The runner is driven with a scripted queue: receives, errors, parks and recoveries are observable
without timing assumptions (each test waits on a condition with a deadline).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from src.domain.errors import DependencyUnavailable
from src.domain.ports.task_queue import QueueMessage
from src.entrypoints.settings import WorkerSettings
from tests.fakes import FakeTaskQueue
from workers.heartbeat import Heartbeats, read_status
from workers.runner import Backoff, run_loops, supervise
from workers.task_runner import DependencyGate, TaskRunner


def _down(dependency: str) -> DependencyUnavailable:
    return DependencyUnavailable(f"{dependency} is down", details={"dependency": dependency})


class ScriptedQueue(FakeTaskQueue):
    def __init__(self) -> None:
        super().__init__()
        self.receives = 0
        self.visibility: dict[str, int] = {}
        self.counter = 0

    async def receive(self, *, queue: str, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]:
        self.receives += 1
        bodies, self.sent[queue] = self.sent.get(queue, [])[:max_messages], self.sent.get(queue, [])[max_messages:]
        if not bodies:
            await asyncio.sleep(0.01)  # a long poll that found nothing
        out = []
        for body in bodies:
            self.counter += 1
            out.append(QueueMessage(body=body, receipt=f"r{self.counter}", receive_count=body.get("n", 1)))
        return out

    async def extend(self, *, queue: str, receipt: str, seconds: int) -> None:
        self.visibility[receipt] = seconds


async def until(condition: Any, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
def beats(tmp_path: Path) -> Heartbeats:
    return Heartbeats("test", tmp_path)


def _runner(queue: ScriptedQueue, handle: Any, gate: DependencyGate, beats: Heartbeats) -> TaskRunner:
    return TaskRunner(
        queue,
        "index",
        handle,
        gate=gate,
        beats=beats,
        redrive=None,
        wait_seconds=1,
        visibility_seconds=2,
        max_backoff=0.05,
    )


async def test_a_dependency_error_pauses_receiving_then_resumes_without_dropping_anything(beats: Heartbeats) -> None:
    queue = ScriptedQueue()
    queue.sent["index"] = [{"task": 1, "n": 3}]
    postgres_up = asyncio.Event()
    handled: list[dict[str, Any]] = []
    probes: list[None] = []

    async def probe() -> None:
        probes.append(None)
        if not postgres_up.is_set():
            raise _down("postgres")

    async def handle(messages: Sequence[QueueMessage]) -> list[str]:
        if not postgres_up.is_set():
            raise _down("postgres")
        handled.extend(m.body for m in messages)
        return [m.receipt for m in messages]

    gate = DependencyGate({"postgres": probe}, beats=beats, cap=0.05)
    stop = asyncio.Event()
    run = asyncio.create_task(_runner(queue, handle, gate, beats).run(stop, "consumer"))
    await until(lambda: gate.down)
    # Parked with a backed-off visibility (third delivery: 2 s * 2**2), not acknowledged.
    assert queue.visibility == {"r1": 8} and queue.acked == []
    receives, probed = queue.receives, len(probes)
    # Several failed probes later (not a guessed time): still no receive.
    await until(lambda: len(probes) >= probed + 3)
    assert queue.receives == receives, "no receive (no delivery spent) while the dependency is down"
    queue.sent["index"] = [{"task": 1, "n": 4}]  # what SQS redelivers once the message is visible again
    postgres_up.set()
    await until(lambda: handled)
    assert queue.visibility["r1"] == 0, "the parked message is made visible at once on recovery"
    assert not run.done()
    stop.set()
    await run


async def test_an_unexpected_error_is_logged_and_retried_not_fatal(beats: Heartbeats) -> None:
    queue = ScriptedQueue()
    queue.sent["index"] = [{"task": 1}]
    calls = 0

    async def handle(messages: Sequence[QueueMessage]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        return [m.receipt for m in messages]

    gate = DependencyGate({}, beats=beats, cap=0.05)
    stop = asyncio.Event()
    run = asyncio.create_task(_runner(queue, handle, gate, beats).run(stop, "consumer"))
    await until(lambda: calls == 1)
    queue.sent["index"] = [{"task": 1}]  # SQS redelivers after the visibility timeout
    await until(lambda: queue.acked)
    stop.set()
    await run


async def test_a_loop_that_dies_is_restarted_and_counted(beats: Heartbeats, tmp_path: Path) -> None:
    runs = 0
    stop = asyncio.Event()

    async def loop() -> None:
        nonlocal runs
        runs += 1
        beats.beat("flaky")
        if runs < 3:
            raise DependencyUnavailable("the database connection was lost")
        await stop.wait()

    task = asyncio.create_task(supervise("flaky", loop, stop=stop, beats=beats, cap=0.02))
    await until(lambda: runs == 3)
    beats.write()
    (row,) = read_status(tmp_path, stale_after=60)
    assert row["loop"] == "flaky" and row["restarts"] == 2 and row["status"] == "running"
    assert "connection was lost" in row["last_error"]
    stop.set()
    await task


async def test_a_stopped_worker_finishes_quick_work_and_cancels_what_outlasts_the_grace(beats: Heartbeats) -> None:
    stop = asyncio.Event()
    started: list[str] = []
    finished: list[str] = []
    cancelled: list[str] = []

    async def quick() -> None:
        started.append("quick")
        await stop.wait()
        finished.append("quick")

    async def endless_batch() -> None:
        started.append("endless")
        try:
            await asyncio.Event().wait()  # a batch that never ends by itself
        except asyncio.CancelledError:
            cancelled.append("endless")
            raise

    worker = asyncio.create_task(
        run_loops(
            {"quick": quick, "endless": endless_batch},
            stop=stop,
            beats=beats,
            cfg=WorkerSettings(stop_grace_seconds=0.05),
        )
    )
    await until(lambda: len(started) == 2)
    stop.set()
    await asyncio.wait_for(worker, timeout=30)
    assert finished == ["quick"] and cancelled == ["endless"]


def test_status_reports_a_killed_process_as_dead(tmp_path: Path) -> None:
    beats = Heartbeats("ghost", tmp_path)
    beats.beat("consumer")
    beats.write()
    path = next(tmp_path.glob("*.json"))
    path.write_bytes(path.read_bytes().replace(str(os.getpid()).encode(), b"999999999"))
    (row,) = read_status(tmp_path, stale_after=60)
    assert row["status"] == "dead"


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(base=1.0, cap=8.0)
    delays = [backoff.next() for _ in range(6)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    assert all(4.0 <= d <= 8.0 for d in delays[3:])
