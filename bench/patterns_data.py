"""Generated logs with known templates: app, access, key=value and system lines, seeded.

Written to measure the miner on text it was not tuned on: the templates below imitate what
services commonly print (web apps, databases, queues, auth, schedulers), with values of every
kind — words (user names, states, queue names), numbers with units, addresses, ids, paths, URLs,
quoted strings and lists of varying length. Each line comes with the id of the template that made
it, which is the ground truth for grouping accuracy.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable

Slot = Callable[[random.Random], str]

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]
QUEUES = ["emails", "billing", "thumbnails", "reports", "webhooks", "exports"]
TABLES = ["users", "orders", "invoices", "sessions", "events", "payments"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"]
ENDPOINTS = ["/api/v1/orders", "/api/v1/users/me", "/healthz", "/api/v2/search", "/login", "/static/app.js"]
AGENTS = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0", "Go-http-client/1.1", "okhttp/4.12.0"]
CLASSES = ["com.acme.billing.InvoiceService", "com.acme.auth.TokenFilter", "org.hibernate.SessionImpl"]
ERRORS = ["connection refused", "timeout while reading", "broken pipe", "no route to host"]
WORDS = ["quarterly", "report", "final", "draft", "photo", "summary", "backup", "notes", "budget"]


def _int(lo: int, hi: int) -> Slot:
    return lambda r: str(r.randint(lo, hi))


def _choice(values: list[str]) -> Slot:
    return lambda r: r.choice(values)


def _ip(r: random.Random) -> str:
    return f"{r.choice([10, 172, 192])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def _ipv6(r: random.Random) -> str:
    return f"2001:db8:{r.randint(0, 65535):x}::{r.randint(1, 65535):x}"


def _uuid(r: random.Random) -> str:
    h = f"{r.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _hex(n: int) -> Slot:
    return lambda r: f"{r.getrandbits(4 * n):0{n}x}"


def _duration(r: random.Random) -> str:
    return r.choice([f"{r.randint(1, 999)}ms", f"{r.random() * 10:.2f}s", f"{r.randint(1, 59)}m{r.randint(0, 59)}s"])


def _size(r: random.Random) -> str:
    return r.choice([f"{r.randint(1, 1023)}KB", f"{r.random() * 100:.1f}MB", f"{r.randint(1, 64)}GiB"])


def _path(r: random.Random) -> str:
    return (
        "/"
        + "/".join(r.choice(["var", "data", "srv", "tmp", "uploads", "cache", "lib"]) for _ in range(r.randint(2, 4)))
        + f"/{r.choice(WORDS)}.{r.choice(['csv', 'json', 'pdf', 'gz'])}"
    )


def _url(r: random.Random) -> str:
    return f"https://{r.choice(['api.stripe.com', 'hooks.slack.com', 'example.org'])}{r.choice(ENDPOINTS)}?id={r.randint(1, 9999)}"


def _host(r: random.Random) -> str:
    return f"{r.choice(['db', 'cache', 'api', 'worker'])}-{r.randint(1, 9)}.{r.choice(['prod', 'stage'])}.internal"


def _email(r: random.Random) -> str:
    return f"{r.choice(USERS)}@{r.choice(['example.com', 'acme.io'])}"


def _quoted(r: random.Random) -> str:
    return '"' + " ".join(r.choice(WORDS) for _ in range(r.randint(1, 3))) + '"'


def _list(item: Slot, sep: str = ", ") -> Slot:
    return lambda r: sep.join(item(r) for _ in range(r.randint(1, 5)))


def _token(r: random.Random) -> str:
    return "".join(r.choice(string.ascii_letters + string.digits) for _ in range(20))


def _access(r: random.Random) -> str:
    return (
        f"{_ip(r)} - {r.choice([*USERS, '-'])} [02/Dec/2026:10:{r.randint(10, 59)}:{r.randint(10, 59)} +0000] "
        f'"{r.choice(["GET", "POST", "PUT"])} {r.choice(ENDPOINTS)} HTTP/1.1" {r.choice([200, 201, 304, 404, 500])} '
        f'{r.randint(100, 90000)} "-" "{r.choice(AGENTS)}"'
    )


# (template id, format string with {} slots, slot generators). The template id is the truth.
TEMPLATES: list[tuple[str, str, list[Slot]]] = [
    ("login_ok", "User {} logged in from {}", [_choice(USERS), _ip]),
    ("login_fail", "Failed login for user {} from {}: invalid password", [_choice(USERS), _ip]),
    ("logout", "User {} logged out after {}", [_choice(USERS), _duration]),
    ("token_issued", "Issued access token for {} (expires in {} s)", [_email, _int(300, 3600)]),
    ("job_start", "Starting job {} on queue {}", [_uuid, _choice(QUEUES)]),
    ("job_done", "Job {} on queue {} finished in {}", [_uuid, _choice(QUEUES), _duration]),
    ("job_retry", "Retrying job {} (attempt {} of 5) after error: {}", [_uuid, _int(1, 4), _choice(ERRORS)]),
    ("db_slow", "Slow query on table {} took {} rows={}", [_choice(TABLES), _duration, _int(1, 100000)]),
    (
        "db_pool",
        "Connection pool {} exhausted: {} active, {} idle, waited {}",
        [_host, _int(10, 50), _int(0, 5), _duration],
    ),
    ("db_conn", "Connected to {} as {}", [_host, _choice(["app", "readonly", "migrator"])]),
    ("cache_miss", "cache miss for key session:{} ({} bytes)", [_hex(16), _int(10, 9000)]),
    (
        "cache_evict",
        "Evicted {} entries from cache {} in {}",
        [_int(1, 5000), _choice(["sessions", "pages", "tokens"]), _duration],
    ),
    ("upload", "Stored upload {} for user {} at {} ({})", [_quoted, _choice(USERS), _path, _size]),
    ("file_missing", "File not found: {}", [_path]),
    ("webhook_ok", "POST {} returned {} in {}", [_url, _choice(["200", "202", "204"]), _duration]),
    ("webhook_fail", "Webhook delivery to {} failed: {} (will retry in {})", [_url, _choice(ERRORS), _duration]),
    (
        "http_req",
        "{} {} {} {} {}",
        [_choice(["GET", "POST", "DELETE"]), _choice(ENDPOINTS), _choice(["200", "404", "500"]), _duration, _ip],
    ),
    ("access", "{}", [_access]),
    (
        "kv_request",
        'level=info msg="request served" method={} path={} status={} duration={} user={} request_id={}',
        [_choice(["GET", "POST"]), _choice(ENDPOINTS), _choice(["200", "404"]), _duration, _choice(USERS), _uuid],
    ),
    (
        "kv_payment",
        'level=warn msg="payment declined" customer={} amount={} currency={} reason={}',
        [
            _int(1000, 99999),
            lambda r: f"{r.random() * 500:.2f}",
            _choice(["EUR", "USD"]),
            _choice(["insufficient_funds", "expired_card", "do_not_honor"]),
        ],
    ),
    ("kv_gc", "gc pause={} heap_before={} heap_after={} gen={}", [_duration, _size, _size, _int(0, 2)]),
    ("sched", "Scheduled {} tasks for tenants {}", [_int(1, 50), _list(_choice(USERS))]),
    ("members", "Cluster members changed: [{}]", [_list(_host)]),
    (
        "exception",
        "Unhandled exception in {}: java.lang.IllegalStateException: {}",
        [_choice(CLASSES), _choice(ERRORS)],
    ),
    (
        "npe",
        "NullPointerException at {}.process({}.java:{})",
        [_choice(CLASSES), _choice(["Handler", "Worker"]), _int(10, 900)],
    ),
    (
        "tls",
        "TLS handshake with {} failed: certificate expired on {}",
        [_ipv6, lambda r: f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"],
    ),
    ("listen", "Listening on {}", [lambda r: f"{_ip(r)}:{r.randint(1024, 65535)}"]),
    (
        "disk",
        "Disk usage on {} is {}% ({} free)",
        [_choice(["/", "/data", "/var/lib/postgresql"]), _int(50, 99), _size],
    ),
    ("replica", "Replica {} in region {} lagging by {}", [_host, _choice(REGIONS), _duration]),
    ("api_key", "API key {} revoked by {}", [_token, _choice(USERS)]),
    ("config", "Reloaded configuration from {} ({} keys changed)", [_path, _int(0, 20)]),
    (
        "rate",
        "Rate limit exceeded for tenant {} on {}: {} requests in {}",
        [_choice(USERS), _choice(ENDPOINTS), _int(100, 5000), _duration],
    ),
    ("shutdown", "Received SIGTERM, shutting down gracefully", []),
    ("health", "Health check passed", []),
    ("migrate", "Applied migration {} in {}", [lambda r: f"{r.randint(1, 40):04d}_{r.choice(WORDS)}", _duration]),
    ("email_sent", "Sent {} email to {} via {}", [_choice(["welcome", "reset", "invoice"]), _email, _host]),
]


PODS = ["api-7d9f8b6c5-x2x9q", "worker-5c6d7f8-abcde", "web-0", "redis-master-0", "kafka-2"]
NAMESPACES = ["default", "payments", "monitoring", "kube-system"]
UNITS = ["nginx.service", "postgresql.service", "docker.service", "cron.service", "sshd.service"]
TOPICS = ["orders", "audit-log", "clicks", "billing.events"]
DBS = ["appdb", "analytics", "postgres"]
SIGNALS = ["SIGKILL", "SIGTERM", "SIGSEGV"]


def _pod(r: random.Random) -> str:
    return f"{r.choice(NAMESPACES)}/{r.choice(PODS)}"


def _mac(r: random.Random) -> str:
    return ":".join(f"{r.randint(0, 255):02x}" for _ in range(6))


def _ts(r: random.Random) -> str:
    return (
        f"2026-12-02T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999999):06d}Z"
    )


# A second set, in the style of infrastructure logs (kubelet, PostgreSQL, nginx's error log,
# systemd, sshd, Kafka, Redis, Celery). Written after the miner's design was frozen and measured
# once, as it came out: the "never looked at" figure in docs/benchmarks.md.
TEMPLATES_INFRA: list[tuple[str, str, list[Slot]]] = [
    (
        "k_pull",
        'Pulling image "{}"',
        [
            lambda r: (
                f"registry.acme.io/{r.choice(['api', 'web', 'worker'])}:v{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}"
            )
        ],
    ),
    (
        "k_pulled",
        'Successfully pulled image "{}" in {} (including waiting)',
        [lambda r: f"nginx:1.{r.randint(19, 27)}", _duration],
    ),
    ("k_backoff", "Back-off restarting failed container {} in pod {}", [_choice(["app", "sidecar", "init-db"]), _pod]),
    (
        "k_probe",
        'Readiness probe failed: Get "{}": dial tcp {}: connect: connection refused',
        [lambda r: f"http://{_ip(r)}:8080/ready", lambda r: f"{_ip(r)}:8080"],
    ),
    (
        "k_oom",
        "Memory cgroup out of memory: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB",
        [_int(1000, 99999), _choice(["java", "python3", "node"]), _int(100000, 9000000), _int(10000, 900000)],
    ),
    (
        "k_sched",
        "Successfully assigned {} to {}",
        [_pod, lambda r: f"ip-10-0-{r.randint(0, 255)}-{r.randint(0, 255)}.ec2.internal"],
    ),
    (
        "pg_conn",
        "connection authorized: user={} database={} application_name={}",
        [_choice(["app", "readonly", "postgres"]), _choice(DBS), _choice(["psql", "pgbouncer", "django"])],
    ),
    (
        "pg_dur",
        "duration: {} ms  statement: SELECT * FROM {} WHERE id = {}",
        [lambda r: f"{r.random() * 900:.3f}", _choice(TABLES), _int(1, 99999)],
    ),
    (
        "pg_ckpt",
        "checkpoint complete: wrote {} buffers ({}%); {} WAL file(s) added, {} removed, {} recycled; write={} s, sync={} s, total={} s",
        [
            _int(1, 9000),
            lambda r: f"{r.random() * 10:.1f}",
            _int(0, 3),
            _int(0, 3),
            _int(0, 9),
            lambda r: f"{r.random() * 30:.3f}",
            lambda r: f"{r.random():.3f}",
            lambda r: f"{r.random() * 30:.3f}",
        ],
    ),
    (
        "pg_deadlock",
        "deadlock detected: Process {} waits for ShareLock on transaction {}; blocked by process {}.",
        [_int(100, 99999), _int(10000, 999999), _int(100, 99999)],
    ),
    (
        "pg_dup",
        'duplicate key value violates unique constraint "{}"',
        [lambda r: f"{r.choice(TABLES)}_{r.choice(['email', 'pkey', 'slug'])}_key"],
    ),
    (
        "ngx_upstream",
        'upstream timed out (110: Connection timed out) while reading response header from upstream, client: {}, server: {}, request: "{}", upstream: "{}"',
        [
            _ip,
            _choice(["api.acme.io", "www.acme.io"]),
            lambda r: f"GET {r.choice(ENDPOINTS)} HTTP/1.1",
            lambda r: f"http://{_ip(r)}:{r.randint(3000, 9000)}{r.choice(ENDPOINTS)}",
        ],
    ),
    (
        "ngx_open",
        'open() "{}" failed (2: No such file or directory), client: {}, server: {}',
        [_path, _ip, _choice(["api.acme.io", "www.acme.io"])],
    ),
    ("sd_start", "Started {}.", [_choice(UNITS)]),
    ("sd_fail", "{}: Main process exited, code=killed, status={}/{}", [_choice(UNITS), _int(6, 15), _choice(SIGNALS)]),
    (
        "ssh_ok",
        "Accepted publickey for {} from {} port {} ssh2: RSA SHA256:{}",
        [
            _choice(USERS),
            _ip,
            _int(1024, 65535),
            lambda r: "".join(r.choice(string.ascii_letters + string.digits + "+/") for _ in range(43)),
        ],
    ),
    (
        "ssh_bad",
        "Invalid user {} from {} port {}",
        [_choice(["admin", "test", "oracle", "ubuntu", "git"]), _ip, _int(1024, 65535)],
    ),
    (
        "ssh_close",
        "Connection closed by authenticating user {} {} port {} [preauth]",
        [_choice(USERS), _ip, _int(1024, 65535)],
    ),
    (
        "kafka_rebal",
        "[Consumer clientId={}, groupId={}] Revoke previously assigned partitions {}",
        [
            lambda r: f"consumer-{r.randint(1, 9)}",
            _choice(["billing", "indexer"]),
            _list(lambda r: f"{r.choice(TOPICS)}-{r.randint(0, 11)}"),
        ],
    ),
    (
        "kafka_lag",
        "Partition {} of topic {} is lagging: offset {} behind {}",
        [_int(0, 11), _choice(TOPICS), _int(1, 99999), _int(100000, 999999)],
    ),
    ("redis_save", "Background saving started by pid {}", [_int(100, 99999)]),
    ("redis_mem", "WARNING: {} used memory {} exceeds maxmemory {}", [_host, _size, _size]),
    (
        "celery_ok",
        "Task {}[{}] succeeded in {}s: {}",
        [
            _choice(["tasks.send_email", "tasks.resize_image", "billing.charge"]),
            _uuid,
            lambda r: f"{r.random() * 5:.4f}",
            _choice(["None", "True", "{'ok': True}"]),
        ],
    ),
    (
        "celery_retry",
        "Task {}[{}] retry: Retry in {}s: {}",
        [
            _choice(["tasks.send_email", "billing.charge"]),
            _uuid,
            _int(1, 600),
            _choice(["ConnectionError()", "TimeoutError('read timed out')"]),
        ],
    ),
    (
        "dhcp",
        "DHCPACK on {} to {} ({}) via {}",
        [_ip, _mac, _choice(["laptop-anna", "printer", "android-5f3a"]), _choice(["eth0", "br0"])],
    ),
    ("go_panic", "panic: runtime error: index out of range [{}] with length {}", [_int(0, 99), _int(0, 99)]),
    (
        "json_err",
        "failed to decode JSON body at offset {}: invalid character {} looking for beginning of value",
        [_int(0, 9999), _choice(["'}'", "'<'", "'a'"])],
    ),
    (
        "audit",
        "audit: user {} changed role of {} from {} to {} at {}",
        [_email, _email, _choice(["viewer", "editor"]), _choice(["admin", "owner"]), _ts],
    ),
]


def generate(
    n: int, *, seed: int = 7, templates: list[tuple[str, str, list[Slot]]] | None = None
) -> list[tuple[str, str]]:
    """`n` (template id, line) pairs; templates drawn with skewed (Zipf-like) frequencies."""
    templates = TEMPLATES if templates is None else templates
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(templates))]
    order = list(range(len(templates)))
    rng.shuffle(order)
    picks = rng.choices(order, weights=weights, k=n)
    lines: list[tuple[str, str]] = []
    for index in picks:
        name, fmt, slots = templates[index]
        lines.append((name, fmt.format(*(slot(rng) for slot in slots))))
    return lines


# Raw-line variants: the same messages behind a header, as a service writes them to a file or to
# stdout, in four common shapes (and a fifth the stripper does not recognise). They check the
# header stripper (`src/domain/patterns/header.py`) on text other than Loghub's; the truth stays
# the message's template. Hosts, pids, levels, threads and components vary line by line,
# independently of the message. (Written after the stripper's first time-anchored version and
# then looked at: see docs/benchmarks.md for what changed because of them.)
HOSTS = ["web-1", "web-2", "db-3", "ip-10-0-4-17", "api-7d9f8b6c5-x2x9q", "app01.prod.example.com"]
# Host names without a digit or a dot: outside syslog's `host prog[pid]:`, a header starting with
# one is not recognised (`<time> gateway 311 …` reads like `<time> processed 311 rows`).
PLAIN_HOSTS = ["gateway", "builder", "localhost"]
COMPONENTS = ["app.http", "app.db", "billing.worker", "auth.tokens", "job_runner", "cache.redis"]
LOGGERS = [*CLASSES, "io.netty.channel.DefaultChannelPipeline", "app.main"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_START = 1764633600  # 2025-12-02 00:00:00 UTC


def _when(r: random.Random, index: int) -> tuple[time.struct_time, int]:
    seconds = _START + index * 3 + r.randint(0, 2)
    return time.gmtime(seconds), seconds


def _syslog(r: random.Random, index: int) -> str:
    t, _ = _when(r, index)
    prog = r.choice(["app", "worker", "sshd", "cron"])
    host = r.choice([*HOSTS, *PLAIN_HOSTS])
    return (
        f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {time.strftime('%H:%M:%S', t)} {host} {prog}[{r.randint(2, 65000)}]:"
    )


def _iso_host_pid(r: random.Random, index: int) -> str:
    t, _ = _when(r, index)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', t)}.{r.randint(0, 999):03d}Z {r.choice(HOSTS)} {r.randint(2, 65000)}"


def _iso_plain_host_pid(r: random.Random, index: int) -> str:
    t, _ = _when(r, index)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', t)}.{r.randint(0, 999):03d}Z {r.choice(PLAIN_HOSTS)} {r.randint(2, 65000)}"


def _epoch_host_component(r: random.Random, index: int) -> str:
    _, seconds = _when(r, index)
    return f"{seconds}.{r.randint(0, 999):03d} {r.choice(HOSTS)} {r.choice(COMPONENTS)}"


def _log4j(r: random.Random, index: int) -> str:
    t, _ = _when(r, index)
    level = r.choice(["INFO", "INFO", "WARN", "ERROR", "DEBUG"])
    stamp = f"{time.strftime('%Y-%m-%d %H:%M:%S', t)},{r.randint(0, 999):03d}"
    return f"{stamp} {level:<5} [{r.choice(['main', 'worker-1', 'worker-2', 'pool-3-thread-7'])}] {r.choice(LOGGERS)} -"


HEADER_SHAPES: dict[str, Callable[[random.Random, int], str]] = {
    "syslog": _syslog,  # Dec  2 10:00:01 web-1 app[311]: …
    "ISO time + host + pid": _iso_host_pid,  # 2025-12-02T10:00:01.123Z web-1 311 …
    "epoch + host + component": _epoch_host_component,  # 1764669601.123 web-1 billing.worker …
    "log4j": _log4j,  # 2025-12-02 10:00:01,123 INFO  [main] com.acme.Billing - …
    "ISO time + plain host name + pid": _iso_plain_host_pid,  # 2025-12-02T10:00:01.123Z gateway 311 … (a known limit)
}


def with_header(lines: list[str], shape: str, *, seed: int = 11) -> list[str]:
    """`lines` each behind a header of `shape` (a key of `HEADER_SHAPES`), seeded."""
    rng = random.Random(seed)
    header = HEADER_SHAPES[shape]
    return [f"{header(rng, index)} {line}" for index, line in enumerate(lines)]
