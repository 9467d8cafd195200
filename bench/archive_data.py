"""Realistic stored log events for the archive benchmark, as `logs` COPY records.

What "realistic" means here, and why it matters for an archive benchmark (compression ratio and
serialisation cost both depend on it):

- a skewed mix of sources, as in a real fleet: ingress access logs (nginx combined format with a
  user agent), structured request logs from the services, health checks, cache and queue debug
  lines, payment and auth events, slow queries, upstream errors with retries, Kafka consumer lag,
  and the occasional multi-line Python traceback;
- values that do not repeat and therefore do not compress: UUIDv7 ids built from the receive time,
  32/16-hex trace/span ids on request-scoped events, request ids, order ids, client IPs, latencies,
  byte counts, durations with decimals;
- Kubernetes-style hosts (`checkout-7d9f8b6c5-x2k4p`: a few pods per service), small attributes
  (2-5 keys, sometimes nested), `user_id`/`action` where the event has them;
- timestamps sorted and spread over whole UTC days with a day/night rhythm; `received_at` a little
  later than `timestamp` (shipping lag, log-normal, ~0.1-3 s).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

DEBUG, INFO, WARN, ERROR = 5, 9, 13, 17

SERVICES = (
    # name, weight (events share), number of pods
    ("ingress-nginx", 30, 3),
    ("api-gateway", 16, 4),
    ("checkout", 9, 3),
    ("payments", 5, 2),
    ("auth", 8, 3),
    ("search", 8, 3),
    ("inventory", 6, 2),
    ("notifications", 4, 2),
    ("orders-worker", 8, 3),
    ("scheduler", 2, 1),
    ("kafka-consumer", 4, 2),
)
REGIONS = ("eu-west-1", "eu-west-1", "eu-central-1", "us-east-1")
ROUTES = (
    ("GET", "/api/v1/products/{id}", 22),
    ("GET", "/api/v1/search", 16),
    ("GET", "/api/v1/cart", 12),
    ("POST", "/api/v1/cart/items", 8),
    ("GET", "/api/v1/orders/{id}", 8),
    ("POST", "/api/v1/orders", 4),
    ("GET", "/api/v1/users/me", 10),
    ("POST", "/api/v1/auth/token", 5),
    ("PUT", "/api/v1/users/me/preferences", 2),
    ("DELETE", "/api/v1/cart/items/{id}", 2),
    ("GET", "/static/js/app.{hash}.js", 6),
    ("GET", "/static/css/main.{hash}.css", 5),
)
STATUSES = ((200, 80), (201, 3), (204, 2), (304, 4), (400, 3), (401, 2), (404, 3), (429, 1), (500, 1), (502, 1))
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "kube-probe/1.29",
)
TABLES = ("orders", "order_items", "customers", "invoices", "shipments", "products", "stock_levels")
QUEUES = ("emails", "exports", "reindex", "invoices", "webhooks")
TOPICS = ("orders.created", "payments.settled", "inventory.changed", "users.updated")
CACHE_KEYS = ("product", "cart", "session", "price", "stock")
ERRORS = (
    ("ConnectionResetError", "[Errno 104] Connection reset by peer"),
    ("TimeoutError", "timed out after 5.0 s waiting for a connection from the pool"),
    ("KeyError", "'shipping_address'"),
    ("ValueError", "invalid literal for int() with base 10: 'null'"),
)
STATIC_HASHES = ("3f9a1c2e", "b71d04aa", "9c0e55f1")


def _weighted(items: tuple[tuple[Any, ...], ...]) -> tuple[list[Any], list[int]]:
    return [i[:-1] if len(i) > 2 else i[0] for i in items], [i[-1] for i in items]


_ROUTES, _ROUTE_W = _weighted(ROUTES)
_STATUSES, _STATUS_W = _weighted(STATUSES)


def _pod(rng: random.Random, service: str) -> str:
    suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
    return f"{service}-{rng.getrandbits(36):09x}-{suffix}"


def uuid7_at(ts: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for an event received at `ts` (what `new_id()` would have returned then)."""
    ms = int(ts.timestamp() * 1000)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | rng.getrandbits(12) << 64
    value |= 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


class EventFactory:
    """Makes one (severity, service, host, message, user_id, action, traced, attributes) at a time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.services = [s[0] for s in SERVICES]
        self.weights = [s[1] for s in SERVICES]
        self.pods = {name: [_pod(rng, name) for _ in range(pods)] for name, _, pods in SERVICES}

    def _path(self, template: str) -> str:
        rng = self.rng
        if "{id}" in template:
            return template.replace("{id}", str(rng.randrange(10_000, 2_000_000)))
        if "{hash}" in template:
            return template.replace("{hash}", rng.choice(STATIC_HASHES))
        if template == "/api/v1/search":
            word = rng.choice(("shoes", "jacket", "laptop", "coffee", "headphones", "desk+lamp", "socks"))
            return f"{template}?q={word}&page={rng.randrange(1, 6)}"
        return template

    def _ms(self, median: float = 20.0) -> float:
        return round(self.rng.lognormvariate(0, 0.9) * median, 1)

    def make(self, service: str) -> tuple[int, str, str | None, str | None, bool, dict[str, Any]]:
        """(severity, message, user_id, action, traced, attributes)."""
        rng = self.rng
        user = f"u_{int(rng.paretovariate(1.2) * 1000) % 250_000:06d}"
        if service == "ingress-nginx":
            method, template = rng.choices(_ROUTES, _ROUTE_W)[0]
            status = rng.choices(_STATUSES, _STATUS_W)[0]
            probe = rng.random() < 0.08
            path = "/healthz" if probe else self._path(template)
            agent = USER_AGENTS[-1] if probe else rng.choice(USER_AGENTS[:-1])
            rt = self._ms(15) / 1000
            ip = f"{rng.choice((81, 86, 92, 145, 185, 213))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            size = rng.randrange(200, 60_000) if status < 300 else rng.randrange(40, 400)
            upstream = rng.choice(("api-gateway", "search", "checkout"))
            message = (
                f'{ip} - - "{method} {path} HTTP/1.1" {status} {size} "https://shop.example.com/" "{agent}" '
                f'rt={rt:.3f} uct=0.000 urt={rt * 0.97:.3f} upstream="10.0.{rng.randrange(1, 4)}.{rng.randrange(2, 250)}:8080" '
                f"ns=prod svc={upstream}"
            )
            severity = ERROR if status >= 500 else WARN if status in (429, 401) else INFO
            attrs: dict[str, Any] = {"http": {"status": status, "method": method}, "bytes_sent": size}
            return severity, message, None, None, False, attrs
        kind = rng.random()
        if service == "api-gateway" or (kind < 0.35 and service in ("checkout", "search", "auth", "inventory")):
            method, template = rng.choices(_ROUTES[:10], _ROUTE_W[:10])[0]
            status = rng.choices(_STATUSES, _STATUS_W)[0]
            ms = self._ms(25)
            request_id = f"req_{rng.getrandbits(64):016x}"
            message = (
                f"request completed method={method} route={template} status={status} duration_ms={ms} "
                f"request_id={request_id} user={user} region={rng.choice(REGIONS)}"
            )
            severity = ERROR if status >= 500 else WARN if status >= 400 else INFO
            attrs = {"http.route": template, "http.status_code": status, "duration_ms": ms}
            return severity, message, user, None, True, attrs
        if kind < 0.42:
            return (
                DEBUG,
                f"GET /healthz 200 in {self._ms(0.4)} ms (liveness probe from 10.0.0.{rng.randrange(2, 6)})",
                None,
                None,
                False,
                {"probe": "liveness"},
            )
        if service == "payments":
            outcome = rng.choices(("approved", "declined", "requires_action"), (88, 8, 4))[0]
            amount = rng.randrange(499, 49_999) / 100
            order = f"ord_{rng.randrange(10**9):09d}"
            message = (
                f"payment authorization {outcome} order={order} amount={amount:.2f} currency=EUR "
                f"provider={rng.choice(('stripe', 'adyen'))} attempt={rng.choices((1, 2, 3), (90, 8, 2))[0]} "
                f"latency_ms={self._ms(180)}"
            )
            attrs = {"order_id": order, "amount": amount, "outcome": outcome}
            return (WARN if outcome == "declined" else INFO), message, user, "payment.authorize", True, attrs
        if service == "auth":
            method = rng.choices(("password", "sso", "passkey", "refresh_token"), (40, 25, 10, 25))[0]
            ok = rng.random() < 0.94
            ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            if ok:
                message = (
                    f"user {user} signed in via {method} from {ip}; session expires in 3600 s, mfa={rng.random() < 0.4}"
                )
            else:
                message = f"sign-in failed for user {user} via {method} from {ip}: invalid credentials (attempt {rng.randrange(1, 6)} of 5)"
            attrs = {"auth.method": method, "client_ip": ip}
            return (INFO if ok else WARN), message, user, "auth.sign_in", True, attrs
        if service in ("orders-worker", "notifications", "scheduler"):
            queue = rng.choice(QUEUES)
            job = f"job_{rng.getrandbits(48):012x}"
            if rng.random() < 0.5:
                message = f"picked job {job} from queue {queue} after waiting {self._ms(40)} ms; {rng.randrange(300)} jobs pending"
                return DEBUG, message, None, None, False, {"queue": queue, "job_id": job}
            if rng.random() < 0.96:
                message = f"job {job} on queue {queue} finished in {self._ms(300)} ms (attempt 1, worker w-{rng.randrange(8)})"
                return INFO, message, None, None, False, {"queue": queue, "job_id": job}
            error, detail = rng.choice(ERRORS)
            message = (
                f"job {job} on queue {queue} failed: {error}: {detail}\n"
                "Traceback (most recent call last):\n"
                '  File "/app/worker/runner.py", line 88, in run_job\n'
                "    result = await handler(job.payload)\n"
                f'  File "/app/worker/handlers/{queue}.py", line {rng.randrange(20, 300)}, in handle\n'
                "    response = await client.post(url, json=body, timeout=5.0)\n"
                f"{error}: {detail}"
            )
            return ERROR, message, None, None, False, {"queue": queue, "job_id": job, "error.type": error}
        if service == "kafka-consumer":
            topic = rng.choice(TOPICS)
            lag = int(rng.paretovariate(1.5) * 10)
            message = (
                f"consumer group {service}-prod committed offsets topic={topic} partition={rng.randrange(12)} "
                f"offset={rng.randrange(10**7, 10**8)} lag={lag}"
            )
            return (WARN if lag > 500 else DEBUG), message, None, None, False, {"topic": topic, "lag": lag}
        if kind < 0.55:
            key = rng.choice(CACHE_KEYS)
            hit = rng.random() < 0.85
            message = f"cache {'hit' if hit else 'miss'} key={key}:{rng.randrange(10**6)} ttl=300s latency_us={int(self._ms(300))}"
            return DEBUG, message, None, None, True, {"cache.hit": hit}
        if kind < 0.62:
            table = rng.choice(TABLES)
            ms = round(self._ms(400) + 200, 1)
            message = (
                f"slow query ({ms} ms > 200 ms): SELECT * FROM {table} WHERE tenant_id = $1 AND updated_at > $2 "
                f"ORDER BY updated_at LIMIT 500; rows={rng.randrange(1, 500)}"
            )
            return WARN, message, None, None, True, {"db.table": table, "duration_ms": ms}
        if kind < 0.67:
            upstream = rng.choice(("payments", "inventory", "search", "pricing"))
            attempt = rng.randrange(1, 4)
            message = (
                f"upstream {upstream} returned 503 Service Unavailable; retrying in {100 * 2**attempt} ms "
                f"(attempt {attempt} of 3, circuit={rng.choice(('closed', 'half-open'))})"
            )
            return ERROR, message, user, None, True, {"upstream": upstream, "attempt": attempt}
        if service == "checkout":
            order = f"ord_{rng.randrange(10**9):09d}"
            items = rng.randrange(1, 8)
            message = f"order {order} created for user {user}: {items} items, total {rng.randrange(999, 99_999) / 100:.2f} EUR, shipping=standard"
            return INFO, message, user, "order.create", True, {"order_id": order, "items": items}
        if service == "inventory":
            sku = f"SKU-{rng.randrange(10**5):05d}"
            message = f"stock level updated sku={sku} warehouse=wh-{rng.choice(('ams', 'fra', 'dub'))} delta={rng.randrange(-5, 50)} now={rng.randrange(0, 900)}"
            return INFO, message, None, "stock.update", False, {"sku": sku}
        query = rng.choice(("shoes", "jacket", "laptop", "coffee", "headphones"))
        message = f'search query="{query}" hits={rng.randrange(0, 5000)} took={self._ms(12)}ms shards=3 user={user}'
        return INFO, message, user, "search.query", True, {"query": query}


def copy_records(n: int, tenant_id: uuid.UUID, *, days: list[date], seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """N `logs` rows (COPY column order of bench.ingest.COPY_COLUMNS), sorted by timestamp over `days`."""
    rng = random.Random(seed)
    factory = EventFactory(rng)
    per_day = [n // len(days) + (1 if i < n % len(days) else 0) for i in range(len(days))]
    for day, count in zip(days, per_day, strict=True):
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        # Day/night rhythm: more traffic in the (European) afternoon than at night.
        offsets = sorted(
            ((rng.betavariate(2.2, 1.6) * 86_400) if rng.random() < 0.8 else rng.random() * 86_400)
            for _ in range(count)
        )
        for seconds in offsets:
            ts = midnight + timedelta(seconds=seconds)
            received = ts + timedelta(seconds=rng.lognormvariate(-0.7, 0.8))
            service = rng.choices(factory.services, factory.weights)[0]
            severity, message, user_id, action, traced, attrs = factory.make(service)
            yield (
                uuid7_at(received, rng),
                tenant_id,
                ts,
                received,
                severity,
                service,
                message,
                rng.choice(factory.pods[service]),
                user_id,
                action,
                f"{rng.getrandbits(128):032x}" if traced else None,
                f"{rng.getrandbits(64):016x}" if traced else None,
                orjson.dumps(attrs).decode(),
                None,
            )
