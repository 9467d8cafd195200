"""Long-running processes: the API server and the workers."""

from __future__ import annotations

import asyncio
import logging

from src.entrypoints.settings import Settings

logger = logging.getLogger(__name__)


def serve_api(*, host: str | None, port: int | None, workers: int | None) -> int:
    import uvicorn

    settings = Settings()
    if settings.metrics.port is not None:
        from prometheus_client import start_http_server

        # Its own listener (an internal address, say): /metrics is then not on the API port at all.
        start_http_server(settings.metrics.port, addr=settings.metrics.host)
        logger.info("metrics on http://%s:%d/metrics", settings.metrics.host, settings.metrics.port)
    from src.entrypoints.http.ws_protocol import IMPORT_PATH as COALESCING_WEBSOCKETS

    uvicorn.run(
        "src.entrypoints.http.asgi:create_app",
        factory=True,
        # A connection's frames of one loop turn in one write (the live tail's fan-out).
        ws=COALESCING_WEBSOCKETS,
        host=host or settings.api.host,
        port=port or settings.api.port,
        workers=workers or settings.api.workers,
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )
    return 0


def run_workers(name: str) -> int:
    from workers.registry import WORKERS
    from workers.runner import install_stop_signals

    names = sorted(WORKERS) if name == "all" else [name]
    unknown = [n for n in names if n not in WORKERS]
    if unknown:
        logger.error("unknown worker %s; known: %s, all", ", ".join(unknown), ", ".join(sorted(WORKERS)))
        return 2

    async def run() -> int:
        stop = asyncio.Event()
        install_stop_signals(stop)
        settings = Settings()
        if settings.worker.metrics_port is not None:
            from prometheus_client import start_http_server

            start_http_server(settings.worker.metrics_port, addr=settings.metrics.host)
        logger.info("starting workers: %s", ", ".join(names))
        tasks: dict[asyncio.Future[None], str] = {asyncio.ensure_future(WORKERS[n](settings, stop)): n for n in names}
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        asked_to_stop = stop.is_set()
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None or not asked_to_stop:
                logger.critical("worker %s ended unexpectedly", tasks[task], exc_info=error)
        # A worker gone without being asked (a bug its supervised loops could not contain): the
        # process goes down loudly, so whoever runs it (systemd, Kubernetes, `logplane dev`) restarts it.
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return 0 if asked_to_stop and not any(isinstance(r, BaseException) for r in results) else 1

    return asyncio.run(run())


def worker_status(as_json: bool) -> int:
    """Liveness of every worker loop on this machine (their status files); 1 when any is dead or stale."""
    from pathlib import Path

    import orjson

    from workers.heartbeat import read_status

    settings = Settings()
    rows = read_status(Path(settings.worker.status_dir), stale_after=settings.worker.heartbeat_stale_seconds)
    if as_json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    elif not rows:
        print(f"no worker has reported in {settings.worker.status_dir}")
    else:
        print(f"{'worker':<12} {'pid':>7} {'loop':<26} {'status':<28} {'beat':>7} {'restarts':>8}  last error")
        for r in rows:
            beat = f"{r['last_beat_seconds_ago']:.0f}s"
            error = r["last_error"] or ""
            print(
                f"{r['worker']:<12} {r['pid']:>7} {r['loop']:<26} {r['status']:<28} {beat:>7} {r['restarts']:>8}  {error}"
            )
    bad = [r for r in rows if r["status"] in ("dead", "stale")]
    return 1 if bad or not rows else 0
