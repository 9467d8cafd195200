"""Realistic events, as clients send them and as COPY rows: shared by the ingest-side benchmarks."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from bench.harness.common import SEVERITY_NUMBERS

if TYPE_CHECKING:
    from src.domain.logs import LogEvent

SERVICES = ("api-gateway", "auth", "billing", "checkout", "search", "inventory", "notifications", "worker")
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
PATHS = ("/api/v1/orders", "/api/v1/cart", "/api/v1/users/me", "/api/v1/search", "/api/v1/payments")
TABLES = ("orders", "order_items", "customers", "invoices", "shipments")
HOSTS = tuple(f"ip-10-0-{i // 8}-{i % 8 + 10}" for i in range(24))


def event_message(rng: random.Random, service: str, user: str) -> tuple[str, str, dict[str, Any]]:
    """(severity, message, attributes); messages land between ~100 and ~200 characters."""
    kind = rng.randrange(6)
    ms = round(rng.lognormvariate(3, 1), 1)
    if kind == 0:
        status = rng.choices((200, 201, 204, 400, 404, 500), (70, 8, 5, 7, 6, 4))[0]
        path = f"{rng.choice(PATHS)}/{rng.randrange(10**6)}"
        sev = "error" if status >= 500 else "warn" if status >= 400 else "info"
        msg = (
            f"{rng.choice(('GET', 'POST', 'PUT'))} {path} completed with status {status} in {ms} ms "
            f"(user={user}, region={rng.choice(REGIONS)}, cache={rng.choice(('hit', 'miss'))}, "
            f"bytes={rng.randrange(200, 90000)})"
        )
        attrs: dict[str, Any] = {"http": {"method": "GET", "status": status, "path": path}, "duration_ms": ms}
    elif kind == 1:
        outcome = rng.choices(("approved", "declined"), (9, 1))[0]
        sev = "warn" if outcome == "declined" else "info"
        msg = (
            f"payment authorization {outcome} for order ord_{rng.randrange(10**8):08d} amount="
            f"{rng.randrange(100, 99999) / 100:.2f} EUR provider={rng.choice(('stripe', 'adyen'))} "
            f"attempt={rng.randrange(1, 4)} latency_ms={ms}"
        )
        attrs = {"order_total": rng.randrange(100, 99999), "currency": "EUR", "provider_latency_ms": ms}
    elif kind == 2:
        sev = "debug"
        msg = (
            f"worker w-{rng.randrange(16)} picked job job_{uuid.UUID(int=rng.getrandbits(128)).hex[:12]} from "
            f"queue {rng.choice(('emails', 'exports', 'reindex'))} after waiting {ms} ms; "
            f"{rng.randrange(500)} jobs still pending"
        )
        attrs = {"queue_depth": rng.randrange(500), "wait_ms": ms}
    elif kind == 3:
        sev = "warn"
        table = rng.choice(TABLES)
        msg = (
            f"database query exceeded slow threshold: {ms * 10:.1f} ms for SELECT on table {table} "
            f"(rows={rng.randrange(1, 50000)}, plan=index scan on {table}_pkey)"
        )
        attrs = {"db": {"table": table, "rows": rng.randrange(1, 50000)}, "duration_ms": ms * 10}
    elif kind == 4:
        sev = "info"
        msg = (
            f"user {user} signed in from 10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)} "
            f"using {rng.choice(('password', 'sso', 'passkey'))}; session expires in 3600 s, "
            f"mfa={rng.choice(('true', 'false'))}"
        )
        attrs = {"auth_method": "sso", "mfa": rng.random() < 0.5}
    else:
        sev = "error"
        upstream = rng.choice(SERVICES)
        msg = (
            f"upstream {upstream} returned 503 Service Unavailable; retrying in {int(ms) * 10} ms "
            f"(attempt {rng.randrange(1, 5)} of 5, circuit={rng.choice(('closed', 'half-open'))}, caller={service})"
        )
        attrs = {"upstream": upstream, "attempt": rng.randrange(1, 5), "retry_in_ms": int(ms) * 10}
    attrs["region"] = rng.choice(REGIONS)
    return sev, msg, attrs


def draw_event(rng: random.Random) -> tuple[str, str, str, str, dict[str, Any]]:
    """(service, user, severity, message, attributes) of one event: the draws every generator starts with."""
    service = rng.choice(SERVICES)
    user = f"u_{rng.randrange(50000):05d}"
    return (service, user, *event_message(rng, service, user))


def make_events(n: int, *, seed: int = 42) -> list[dict[str, Any]]:
    """N events as a client would send them, timestamps spread over today (UTC) until a minute ago."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = max((now - midnight).total_seconds() - 60, 1.0)
    events = []
    for _ in range(n):
        service, user, severity, message, attributes = draw_event(rng)
        event: dict[str, Any] = {
            "timestamp": (midnight + timedelta(seconds=rng.random() * span)).isoformat(),
            "severity": severity,
            "service": service,
            "host": rng.choice(HOSTS),
            "message": message,
            "attributes": attributes,
        }
        if rng.random() < 0.6:
            event["user_id"] = user
            event["trace_id"] = f"{rng.getrandbits(128):032x}"
            event["span_id"] = f"{rng.getrandbits(64):016x}"
        events.append(event)
    return events


def copy_tail(e: dict[str, Any]) -> tuple[Any, ...]:
    """A client event's COPY columns after id, tenant_id, timestamp and received_at."""
    return (
        SEVERITY_NUMBERS[e["severity"]],
        e["service"],
        e["message"],
        e["host"],
        e.get("user_id"),
        None,
        e.get("trace_id"),
        e.get("span_id"),
        orjson.dumps(e["attributes"]).decode(),
        None,
    )


def copy_records(events: list[dict[str, Any]], tenant_id: uuid.UUID) -> list[tuple[Any, ...]]:
    from src.domain.ids import new_id

    received = datetime.now(UTC)
    return [(new_id(), tenant_id, datetime.fromisoformat(e["timestamp"]), received, *copy_tail(e)) for e in events]


def log_rows(events: Sequence[LogEvent]) -> list[tuple[Any, ...]]:
    """Stored events as `logs` rows, in `COPY_COLUMNS` order: preloads that COPY straight into `logs`."""
    from src.adapters.postgres.log_repository import log_columns

    return list(zip(*log_columns(events).values(), strict=True))


def ndjson_bodies(events: list[dict[str, Any]], batch: int) -> list[bytes]:
    dumps = orjson.dumps
    return [b"\n".join(dumps(e) for e in events[i : i + batch]) + b"\n" for i in range(0, len(events), batch)]
