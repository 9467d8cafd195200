"""A/B app factory: the real app with candidate fixes switched on by `BENCH_AB_*` variables.

The fixes are applied as monkeypatches so they can be measured before anyone edits `src/`:

    python bench/ingest.py --factory bench.ab_factory:create_app \\
        --api-env BENCH_AB_GC_FREEZE=1 --api-env BENCH_AB_ASYNC_CONTAINER=1

- `BENCH_AB_GC_FREEZE=1`: `gc.freeze()` once the app is built, so the ~140k long-lived objects of the
  imported framework stack leave the collector's view and full (gen2) collections stop pausing the
  event loop for ~60-75 ms each. (In `src/` since commit 9dae119; a no-op on top of it.)
- `BENCH_AB_ASYNC_CONTAINER=1`: makes the `get_container` dependency a coroutine function; as a plain
  `def` FastAPI runs it in the thread pool on every request (a thread hop per request). (In `src/`
  since commit 9dae119; a no-op on top of it.)
- (`BENCH_AB_COPY_STAGING=1`, binary COPY into a session temp table and one `INSERT … SELECT`, is
  how `src/` writes since the bulk ingest work of issue 15; the knob is gone.)
- `BENCH_AB_GC_THRESHOLD=g0,g1,g2`: the thresholds the app sets at start-up instead of its own
  (`0` turns automatic collection off: the upper bound of what collection costs a workload).
- `BENCH_AB_GC_STATS=1`: logs every gen2 collection (and any collection over 5 ms) with its duration.
- `BENCH_AB_GC_TOTAL=PATH`: each API process keeps the CPU time it spent in collections, per
  generation, and its own CPU time in `PATH.<pid>` (rewritten at most once a second).
- `BENCH_AB_WRITER_THREAD=1`: the group commit runs on its own event loop in its own thread, with
  its own engine, so its round trips to PostgreSQL do not wait for the request loop's next turn.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request


def _on_collection(done: Callable[[dict[str, Any], float], None]) -> None:
    """Calls `done(info, CPU seconds)` after every collection."""
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.process_time()
        else:
            done(info, time.process_time() - started[0])

    gc.callbacks.append(callback)


def _gc_stats() -> None:
    def done(info: dict[str, Any], seconds: float) -> None:
        if info["generation"] == 2 or seconds > 0.005:
            print(
                f"GC gen{info['generation']} {seconds * 1000:.1f} ms collected={info['collected']} "
                f"tracked={len(gc.get_objects())}",
                file=sys.stderr,
                flush=True,
            )

    _on_collection(done)


def _gc_total(path: str) -> None:
    spent = [0.0, 0.0, 0.0]
    counts = [0, 0, 0]
    written = [0.0]

    def done(info: dict[str, Any], seconds: float) -> None:
        spent[info["generation"]] += seconds
        counts[info["generation"]] += 1
        # Rewritten at most once a second: uvicorn's workers are stopped by a signal, not atexit.
        if time.monotonic() - written[0] >= 1.0:
            written[0] = time.monotonic()
            line = ", ".join(f"gen{g} {counts[g]} x {spent[g]:.3f} s" for g in range(3))
            with open(f"{path}.{os.getpid()}", "w") as out:
                out.write(f"{line}, process CPU {time.process_time():.2f} s\n")

    _on_collection(done)


def _writer_thread() -> None:
    import asyncio
    import threading

    import uvloop

    from src.adapters.postgres.engine import make_app_engine
    from src.adapters.postgres.partitions import PostgresPartitionMaintainer
    from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
    from src.entrypoints import bootstrap

    original = bootstrap.build_ingest

    class Threaded:
        def __init__(self, writer: Any, engine: Any) -> None:
            self._writer = writer
            self._engine = engine
            self._loop = uvloop.new_event_loop()
            self._main: asyncio.AbstractEventLoop | None = None
            threading.Thread(target=self._loop.run_forever, name="group-commit", daemon=True).start()
            announce = writer._after_commit

            async def across(tasks: Any) -> Any:
                assert self._main is not None
                return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(announce(tasks), self._main))

            writer._after_commit = across

        async def write(self, **kwargs: Any) -> Any:
            self._main = asyncio.get_running_loop()
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._writer.write(**kwargs), self._loop))

        async def close(self) -> None:
            async def shut() -> None:
                await self._writer.close()
                await self._engine.dispose()

            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(shut(), self._loop))

    def build_ingest(settings: Any, uow: Any, partitions: Any, publish: Any, bus: Any) -> Any:
        ingest, writer, rejections = original(settings, uow, partitions, publish, bus)
        engine = make_app_engine(settings.database.database_url, pool_size=settings.database.pool_size)
        writer._uow_factory = PostgresUnitOfWorkFactory(engine)
        writer._partitions = PostgresPartitionMaintainer(engine)
        threaded = Threaded(writer, engine)
        ingest._writer = threaded  # type: ignore[assignment]  # stands in for the writer: same write/close
        return ingest, threaded, rejections

    bootstrap.build_ingest = build_ingest


def create_app() -> FastAPI:
    from src.entrypoints.http import app as app_module
    from src.entrypoints.http import deps
    from src.entrypoints.http.app import make_app
    from src.entrypoints.logging_setup import configure_logging
    from src.entrypoints.settings import Settings

    configure_logging(os.environ.get("LOGPLANE_LOG_LEVEL", "WARNING"))
    if os.environ.get("BENCH_AB_ASYNC_CONTAINER"):

        async def get_container(request: Request) -> Any:
            return request.app.state.container

        # In place, so every `Depends(get_container)` already built sees a coroutine function.
        # (app.dependency_overrides would be re-analysed on every request and cost more than it saves.)
        deps.get_container.__code__ = get_container.__code__
    if os.environ.get("BENCH_AB_GC_STATS"):
        _gc_stats()
    if gc_total := os.environ.get("BENCH_AB_GC_TOTAL"):
        _gc_total(gc_total)
    if os.environ.get("BENCH_AB_WRITER_THREAD"):
        _writer_thread()
    app = make_app(Settings())
    if threshold := os.environ.get("BENCH_AB_GC_THRESHOLD"):
        # What the app's lifespan applies after `gc.freeze()` (it would undo a threshold set here).
        app_module._GC_THRESHOLDS = tuple(int(n) for n in threshold.split(","))  # type: ignore[assignment]
    if os.environ.get("BENCH_AB_GC_FREEZE"):
        gc.collect()
        gc.freeze()
    return app
