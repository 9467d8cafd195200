"""Prometheus metrics for the ingest path and HTTP requests."""

from __future__ import annotations

from uuid import UUID

from prometheus_client import Counter, Histogram

from src.domain.ports.ingest_metrics import IngestMetrics

INGESTED_EVENTS = Counter("logplane_ingested_events_total", "Events stored", ["tenant"])
INGESTED_BYTES = Counter("logplane_ingested_bytes_total", "Message bytes stored", ["tenant"])
# No tenant label: tenant ids stay out of label values; the per-tenant tally is the API's
# GET /api/v1/ingest/rejections.
REJECTED_EVENTS = Counter("logplane_ingest_rejected_events_total", "Events refused", ["route", "reason"])
COMMIT_EVENTS = Histogram(
    "logplane_group_commit_events",
    "Events per group commit",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10_000),
)
COMMIT_REQUESTS = Histogram(
    "logplane_group_commit_requests", "Requests per group commit", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256)
)
COMMIT_SECONDS = Histogram("logplane_group_commit_seconds", "Time to write and commit one group")
REQUESTS = Counter("logplane_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_SECONDS = Histogram("logplane_http_request_seconds", "HTTP request latency", ["method", "route"])


class PrometheusIngestMetrics(IngestMetrics):
    """Per-tenant volumes under one `tenant="all"` series unless `tenant_labels`: a tenant id in a
    label is visible to whoever reads the metrics, and one series per tenant grows without bound."""

    def __init__(self, *, tenant_labels: bool = False) -> None:
        self._tenant_labels = tenant_labels

    def observe_commit(self, *, events: int, requests: int, seconds: float) -> None:
        COMMIT_EVENTS.observe(events)
        COMMIT_REQUESTS.observe(requests)
        COMMIT_SECONDS.observe(seconds)

    def observe_stored(self, *, tenant_id: UUID, events: int, bytes_: int) -> None:
        label = str(tenant_id) if self._tenant_labels else "all"
        INGESTED_EVENTS.labels(label).inc(events)
        INGESTED_BYTES.labels(label).inc(bytes_)

    def observe_rejected(self, *, tenant_id: UUID, route: str, reason: str, events: int) -> None:
        REJECTED_EVENTS.labels(route, reason).inc(events)
