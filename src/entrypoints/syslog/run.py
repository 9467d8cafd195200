"""`logplane syslog`: the listener as a process of its own, built on the shared composition root."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from src.adapters.prometheus.syslog_metrics import PrometheusSyslogMetrics
from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.settings import Settings
from src.entrypoints.syslog.listeners import SyslogListener
from src.entrypoints.syslog.pump import IngestPump
from src.usecases.ingest_syslog import IngestSyslog

logger = logging.getLogger(__name__)


def build_listener(container: Container) -> SyslogListener:
    """The listener over the container's ingest path and credential checks (the API's, caches included)."""
    settings = container.settings.syslog
    metrics = PrometheusSyslogMetrics()
    ingest = IngestSyslog(
        container.authenticate,
        container.ingest,
        metrics=metrics,
        events_per_second=settings.tenant_events_per_second,
        burst=settings.tenant_burst,
        refusal_ttl=container.settings.auth.credential_cache_seconds,
    )
    pump = IngestPump(
        ingest.execute,
        metrics,
        queue_size=settings.queue_size,
        batch_messages=settings.batch_messages,
        consumers=settings.consumers,
    )
    return SyslogListener(settings, pump, metrics)


def run_syslog() -> int:
    settings = Settings()
    for problem in settings.syslog.problems():
        print(f"logplane syslog: configuration error: {problem}", file=sys.stderr)
    if settings.syslog.problems():
        return 2
    if settings.syslog.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(settings.syslog.metrics_port, addr=settings.metrics.host)
        logger.info("syslog metrics on http://%s:%d/metrics", settings.metrics.host, settings.syslog.metrics_port)

    async def serve() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        container = build_container(settings)
        listener = build_listener(container)
        try:
            try:
                listening = await listener.start()
            except OSError as e:
                logger.error("syslog: cannot listen: %s", e)
                return 1
            # Printed, not only logged: `logplane dev` and operators read where it listens.
            print(f"logplane syslog listening on {listening.describe()}", flush=True)
            await stop.wait()
            return 0
        finally:
            await listener.stop()
            await container.close()

    return asyncio.run(serve())
