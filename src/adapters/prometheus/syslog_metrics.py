"""Prometheus metrics of the syslog listener. No tenant label: a refused message has no tenant."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from src.domain.ports.syslog_metrics import SyslogMetrics

RECEIVED = Counter("logplane_syslog_received_messages_total", "Syslog messages read", ["transport"])
DROPPED = Counter(
    "logplane_syslog_dropped_messages_total",
    "Syslog messages dropped before ingest (UDP while the ingest queue is full; frames cut at the size limit)",
    ["transport", "reason"],
)
REFUSED = Counter("logplane_syslog_refused_messages_total", "Syslog messages refused for their credential", ["reason"])
QUEUE_DEPTH = Gauge("logplane_syslog_queue_depth", "Syslog messages waiting for ingest")


class PrometheusSyslogMetrics(SyslogMetrics):
    def received(self, *, transport: str, messages: int) -> None:
        RECEIVED.labels(transport).inc(messages)

    def dropped(self, *, transport: str, reason: str, messages: int) -> None:
        DROPPED.labels(transport, reason).inc(messages)

    def refused(self, *, reason: str, messages: int) -> None:
        REFUSED.labels(reason).inc(messages)

    def queued(self, *, depth: int) -> None:
        QUEUE_DEPTH.set(depth)
