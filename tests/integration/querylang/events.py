"""The events every language test runs on: name, minutes before ingest, severity, service, host,
user_id, action, trace_id, message, attributes. Tenant B gets copies of e01, e02 and e06."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

EVENTS: list[tuple[str, int, str, str | None, str | None, str | None, str | None, str | None, str, dict[str, Any]]] = [
    ("01", 90, "info", "billing", "web-01", "u1", "charge", "t-1", "payment accepted for order 17",
     {"duration_ms": 120, "region": "eu", "user": "u1", "order": {"region": "eu", "total": 10.5}}),
    ("02", 85, "error", "billing", "web-02", "u2", "charge", "t-2", "Payment failed: card declined",
     {"duration_ms": 950, "region": "us", "user": "u2", "code": "E42"}),
    ("03", 80, "warn", "auth", "web-01", None, "login", None, "login retry for user bob",
     {"duration_ms": 300, "user": "u1", "path": "/login"}),
    ("04", 75, "info", "auth", "db-1", None, "login", None, "login ok", {"duration_ms": 45, "path": "/login"}),
    ("05", 70, "debug", "search", "web-03", None, None, None, "query took 250ms",
     {"duration_ms": 250, "path": "/search"}),
    ("06", 65, "error", "search", "web-03", None, None, None, "timeout after 1500ms talking to shard 3",
     {"duration_ms": 1500, "path": "/search", "region": "eu"}),
    ("07", 60, "fatal", "billing", "db-2", None, None, None, "connection reset by peer", {"retry": True}),
    ("08", 55, "info", "gateway", "web-02", None, None, None, "GET /api/v1/orders 200",
     {"path": "/api/v1/orders", "status": 200, "duration_ms": 12}),
    ("09", 50, "warn", "gateway", "web-02", None, None, None, "GET /api/v1/orders 503",
     {"path": "/api/v1/orders", "status": 503, "duration_ms": 30000}),
    ("10", 45, "info", None, "web-01", None, None, None, "heartbeat", {}),
    ("11", 40, "trace", "worker", None, None, None, None, "tick 42", {"job": "cleanup"}),
    ("12", 35, "error", "worker", "web-04", None, None, None, "timeout after 20ms waiting for lock",
     {"job": "reindex", "duration_ms": 20}),
    ("13", 30, "info", "billing", "web-01", "u3", "invoice", None, "invoice sent to customer",
     {"user": "u3", "region": "ap", "order": {"region": "ap", "total": 99}}),
    ("14", 25, "warn", "billing", "web-02", None, None, None, "dry run: payment skipped",
     {"dry_run": True, "user": "u2"}),
    ("15", 20, "info", "search", "web-03", None, None, None, "query foo.bar returned 3 hits",
     {"duration_ms": 80, "path": "/search"}),
    ("16", 15, "error", "auth", "web-05", "u4", "reset", None, "password reset failed for user alice",
     {"user": "u4", "path": "/reset"}),
    ("17", 10, "info", "gateway", "web-01", None, None, None, "GET /health 200",
     {"path": "/health", "status": 200, "duration_ms": 1}),
    ("18", 5, "debug", "worker", "web-04", None, None, None, "Paying out batch 7", {"job": "payout"}),
]  # fmt: skip

TENANT_B = ("01", "02", "06")


def payload(base: datetime, *, prefix: str = "", only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    out = []
    for name, ago, severity, service, host, user_id, action, trace_id, message, attributes in EVENTS:
        if only is not None and name not in only:
            continue
        event: dict[str, Any] = {
            "timestamp": (base - timedelta(minutes=ago)).isoformat(),
            "severity": severity,
            "message": message,
            "attributes": {**attributes, "n": prefix + name},
        }
        for key, value in (("service", service), ("host", host), ("user_id", user_id), ("action", action),
                           ("trace_id", trace_id)):  # fmt: skip
            if value is not None:
                event[key] = value
        out.append(event)
    return out
