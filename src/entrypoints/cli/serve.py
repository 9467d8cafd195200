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
    uvicorn.run(
        "src.entrypoints.http.asgi:create_app",
        factory=True,
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

    async def run() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        settings = Settings()
        logger.info("starting workers: %s", ", ".join(names))
        await asyncio.gather(*(WORKERS[n](settings, stop) for n in names))

    asyncio.run(run())
    return 0
