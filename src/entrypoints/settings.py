"""Settings, one model per concern, read from the environment by the composition root only.

Every name takes the `LOGPLANE_` prefix; the service URLs also answer to the names the wider
ecosystem uses (`DATABASE_URL`, `REDIS_URL`, `OPENSEARCH_URL`, `AWS_ENDPOINT_URL`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "password", "admin", "test"}
# Sample values shipped in files (infra/logplane.env) are long enough; their wording gives them away.
_PLACEHOLDER_WORDING = re.compile(r"change[-_ ]?(this|me)|placeholder|example|replace[-_ ]?me", re.IGNORECASE)


def _cfg(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=f"LOGPLANE_{prefix}", extra="ignore", populate_by_name=True)


class DatabaseSettings(BaseSettings):
    model_config = _cfg("")
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        validation_alias=AliasChoices("LOGPLANE_DATABASE_URL", "DATABASE_URL"),
    )
    pool_size: int = Field(default=10, validation_alias="LOGPLANE_DB_POOL_SIZE")
    timescaledb: str = Field(default="auto", validation_alias="LOGPLANE_TIMESCALEDB")

    @field_validator("database_url")
    @classmethod
    def _asyncpg(cls, value: str) -> str:
        # Accept the plain libpq form people paste; SQLAlchemy needs the driver named.
        for plain in ("postgresql://", "postgres://"):
            if value.startswith(plain):
                return "postgresql+asyncpg://" + value[len(plain) :]
        return value


class AuthSettings(BaseSettings):
    """Production rules unless LOGPLANE_ENV=dev says otherwise: only `logplane dev` sets that (for
    the processes it starts), so a deployment that forgets the variable still refuses placeholders."""

    model_config = _cfg("")
    env: str = Field(default="production", validation_alias="LOGPLANE_ENV")
    admin_token: SecretStr = Field(default=SecretStr(""), validation_alias="LOGPLANE_ADMIN_TOKEN")
    jwt_secret: SecretStr = Field(default=SecretStr(""), validation_alias="LOGPLANE_JWT_SECRET")
    jwt_algorithms: list[str] = Field(default=["HS256"], validation_alias="LOGPLANE_JWT_ALGORITHMS")
    jwt_private_key_pem: SecretStr | None = Field(default=None, validation_alias="LOGPLANE_JWT_PRIVATE_KEY")
    jwt_public_key_pem: str | None = Field(default=None, validation_alias="LOGPLANE_JWT_PUBLIC_KEY")
    jwks_url: str | None = Field(default=None, validation_alias="LOGPLANE_JWKS_URL")
    jwt_issuer: str = Field(default="logplane", validation_alias="LOGPLANE_JWT_ISSUER")
    jwt_audience: str = Field(default="logplane-api", validation_alias="LOGPLANE_JWT_AUDIENCE")
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300, validation_alias="LOGPLANE_JWT_LEEWAY_SECONDS")
    token_ttl_seconds: int = Field(default=900, gt=0, validation_alias="LOGPLANE_TOKEN_TTL_SECONDS")
    token_max_ttl_seconds: int = Field(default=3600, gt=0, validation_alias="LOGPLANE_TOKEN_MAX_TTL_SECONDS")
    credential_cache_seconds: float = Field(default=5.0, ge=0, validation_alias="LOGPLANE_CREDENTIAL_CACHE_SECONDS")
    # Human users' login sessions (cookie `logplane_session`): absolute lifetime, no sliding renewal.
    session_ttl_seconds: int = Field(
        default=8 * 3600, gt=0, le=7 * 86400, validation_alias="LOGPLANE_SESSION_TTL_SECONDS"
    )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> AuthSettings:
        if self.env == "dev":
            return self
        for name in ("admin_token", "jwt_secret"):
            value = getattr(self, name).get_secret_value()
            if value.lower() in _PLACEHOLDERS or len(value) < 32 or _PLACEHOLDER_WORDING.search(value):
                if name == "jwt_secret" and not any(a.startswith("HS") for a in self.jwt_algorithms):
                    continue
                raise ValueError(
                    f"LOGPLANE_{name.upper()} must be a real secret of 32+ characters (not a sample value) "
                    "outside dev; generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
        return self


class OidcSettings(BaseSettings):
    """OpenID Connect login for human users; off unless an issuer is set."""

    model_config = _cfg("OIDC_")
    issuer: str | None = None  # e.g. https://accounts.example.com (its discovery document is read)
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")  # empty: a public client, PKCE only
    # Our callback as registered at the provider: https://<host>/api/v1/auth/oidc/callback
    redirect_uri: str = ""
    scopes: str = "openid email profile"
    # Providers that do not send `email_verified` (some corporate ones) need this off.
    require_verified_email: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)

    @model_validator(mode="after")
    def _complete(self) -> OidcSettings:
        if self.issuer and not (self.client_id and self.redirect_uri):
            raise ValueError("LOGPLANE_OIDC_ISSUER needs LOGPLANE_OIDC_CLIENT_ID and LOGPLANE_OIDC_REDIRECT_URI")
        return self


class IngestSettings(BaseSettings):
    model_config = _cfg("INGEST_")
    max_body_bytes: int = 10 * 1024 * 1024
    max_decompressed_bytes: int = 50 * 1024 * 1024
    max_batch_events: int = 10_000
    max_message_bytes: int = 64 * 1024
    max_attribute_depth: int = 8
    max_attribute_keys: int = 256
    max_attributes_bytes: int = 64 * 1024
    max_future_skew_seconds: int = 600
    group_commit_max_events: int = 10_000
    group_commit_inflight: int = 2
    default_retention_days: int = 30
    max_upload_bytes: int = 1024 * 1024 * 1024
    # What the ingest worker reads of one upload once inflated (a gzip may expand a thousandfold),
    # and the longest line it keeps (a longer one is truncated and counted): its memory stays bounded.
    max_upload_decompressed_bytes: int = Field(default=10 * 1024**3, gt=0)
    max_upload_line_bytes: int = Field(default=64 * 1024, gt=0)


class RateLimitSettings(BaseSettings):
    model_config = _cfg("RATE_LIMIT_")
    enabled: bool = True
    default_per_minute: int = 6000
    admin_per_minute: int = 600


class RedisSettings(BaseSettings):
    model_config = _cfg("")
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("LOGPLANE_REDIS_URL", "REDIS_URL"))


class AwsSettings(BaseSettings):
    model_config = _cfg("")
    endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LOGPLANE_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    )
    region: str = Field(default="us-east-1", validation_alias=AliasChoices("LOGPLANE_AWS_REGION", "AWS_DEFAULT_REGION"))
    bucket: str = Field(default="logplane-archive", validation_alias="LOGPLANE_S3_BUCKET")
    # S3 elsewhere than SQS (`logplane dev` keeps S3 in a recording moto of its own, so archives
    # survive restarts); unset, S3 uses `endpoint_url` too.
    s3_endpoint_url: str | None = Field(default=None, validation_alias="LOGPLANE_S3_ENDPOINT_URL")
    # S3 as the users' browsers and curl reach it, when that differs from the address logplane uses
    # (compose: `localstack:4566` inside, `localhost:4566` outside). Presigned download URLs are signed
    # for this host; unset, for the endpoint logplane uses.
    s3_public_endpoint_url: str | None = Field(default=None, validation_alias="LOGPLANE_S3_PUBLIC_ENDPOINT_URL")

    @property
    def s3_endpoint(self) -> str | None:
        return self.s3_endpoint_url or self.endpoint_url

    queue_prefix: str = Field(default="logplane-", validation_alias="LOGPLANE_SQS_QUEUE_PREFIX")
    # Queues are used when an endpoint is named (moto, LocalStack) or this is set (real AWS).
    sqs_enabled: bool | None = Field(default=None, validation_alias="LOGPLANE_SQS_ENABLED")
    max_receive_count: int = Field(default=5, ge=1, validation_alias="LOGPLANE_SQS_MAX_RECEIVE_COUNT")
    visibility_timeout: int = Field(default=60, ge=1, validation_alias="LOGPLANE_SQS_VISIBILITY_TIMEOUT")

    @property
    def queues_enabled(self) -> bool:
        return self.sqs_enabled if self.sqs_enabled is not None else self.endpoint_url is not None


class WorkerSettings(BaseSettings):
    model_config = _cfg("WORKER_")
    archive_part_rows: int = 200_000
    # Archive objects' format when the tenant chose none: parquet (best measured), ndjson.zst, ndjson.gz.
    archive_format: Literal["parquet", "ndjson.zst", "ndjson.gz"] = "parquet"
    archive_settle_seconds: float = 5.0
    cleanup_batch: int = 10_000
    retention_interval_seconds: float = 3600.0
    relay_interval_seconds: float = 5.0
    # Longer than a backlog takes to drain: a task merely waiting in the queue must not be re-sent.
    relay_stale_seconds: float = 300.0
    # A task never published (its publish failed, or the API died before it) waits only this long.
    relay_unpublished_seconds: float = 2.0
    # Longer than the longest retry backoff: a started task untouched this long lost its message.
    relay_lost_seconds: float = 3600.0
    # How long a request may wait on the queue before answering "the task waits for the queue".
    publish_timeout_seconds: float = 1.0
    receive_wait_seconds: int = 5
    # Each worker process writes its loops' heartbeats here (`logplane worker status` reads them).
    status_dir: str = ".logplane/workers"
    # A loop whose last heartbeat is older than this is reported stale.
    heartbeat_stale_seconds: float = 120.0
    # Longest pause between retries of a failing loop or of a task whose dependency is down.
    max_backoff_seconds: float = 60.0
    # On SIGTERM a worker lets the batch in hand finish for this long, then cancels it: the work is
    # transactional and unacknowledged messages come back, so a long batch (a backlog being mined)
    # cannot outlast the orchestrator's grace period (infra/k8s/workers.yaml gives 60 s).
    stop_grace_seconds: float = Field(default=45.0, ge=0)
    # How often the index worker compares search with PostgreSQL per tenant/day, how far back, and
    # how old an event must be to count (younger ones may still be on their way to the index).
    reconcile_interval_seconds: float = 300.0
    reconcile_window_days: int = 30
    reconcile_settle_seconds: float = 120.0
    # Prometheus metrics of a worker process (heartbeats, task outcomes); off when unset.
    metrics_port: int | None = None
    index_consumers: int = 3
    reindex_batch: int = 2000
    # Mine pattern ids and error groups in the index worker before events are indexed (issue 13).
    mine_patterns: bool = True
    # In-process miners kept per worker (one per tenant/service); others are reloaded from PostgreSQL.
    miner_cache_size: int = 1000


class AnomalySettings(BaseSettings):
    """The scheduled anomaly run (`logplane worker anomalies`) and what it flags."""

    model_config = _cfg("ANOMALY_")
    interval_seconds: float = Field(default=60.0, gt=0)
    # A window is scored once it is this old, so late events still count in it.
    settle_seconds: float = Field(default=60.0, ge=0)
    # Windows scoring at least this are stored as anomalies (score in [0, 1]).
    threshold: float = Field(default=0.5, ge=0, le=1)
    # History the baselines read (15 days: two earlier weeks for minute-of-week baselines).
    history_days: int = Field(default=15, ge=1)
    # How far back a tenant's first run scores.
    backfill_hours: int = Field(default=24, ge=1)


class OpenSearchSettings(BaseSettings):
    model_config = _cfg("")
    url: str | None = Field(default=None, validation_alias=AliasChoices("LOGPLANE_OPENSEARCH_URL", "OPENSEARCH_URL"))


class ApiSettings(BaseSettings):
    model_config = _cfg("API_")
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    stream_queue_size: int = 1000
    stream_replay_limit: int = 10_000
    # Concurrent live streams (WebSocket + SSE) per tenant, counted across API processes via Redis.
    stream_max_per_tenant: int = Field(default=50, ge=1)
    # How often an open stream re-checks its credential; a revocation made in another process
    # ends the stream within this + LOGPLANE_CREDENTIAL_CACHE_SECONDS.
    stream_recheck_seconds: float = Field(default=5.0, gt=0)
    # A stream slot held by a process that died comes free after this long.
    stream_lease_seconds: float = Field(default=30.0, gt=0)


class MetricsSettings(BaseSettings):
    """Who may read /metrics. Outside dev it needs `LOGPLANE_METRICS_TOKEN` (as a Bearer token), or
    is served only on `LOGPLANE_METRICS_PORT` (a listener of its own, e.g. on an internal address);
    with neither, it is refused. Tenant ids appear in label values only when opted in."""

    model_config = _cfg("METRICS_")
    token: SecretStr = SecretStr("")
    host: str = "127.0.0.1"
    port: int | None = None
    tenant_labels: bool = False

    @field_validator("token")
    @classmethod
    def _real_token(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and (len(secret) < 16 or _PLACEHOLDER_WORDING.search(secret)):
            raise ValueError("LOGPLANE_METRICS_TOKEN must be 16+ characters and not a sample value")
        return value


class SyslogSettings(BaseSettings):
    """The syslog listener (`logplane syslog`, and `logplane dev`). Empty port lists listen on nothing.

    Tenant mapping: a message's `[logplane@32473 token="…"]` wins; else the TLS client
    certificate's subject CN looked up in `tls_client_keys`; else the listening port's API key in
    `port_keys`. A message with none of these is refused (counted, not stored)."""

    model_config = _cfg("SYSLOG_")
    host: str = "127.0.0.1"
    tcp_ports: list[int] = Field(default_factory=lambda: [5514])
    udp_ports: list[int] = Field(default_factory=lambda: [5514])
    tls_ports: list[int] = Field(default_factory=list)
    # {"5514": "lp_…"}: messages without a token on this port (TCP, TLS or UDP) belong to that key's tenant.
    port_keys: dict[int, SecretStr] = Field(default_factory=dict)
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    # Client certificates are asked for and verified against this CA when set (required when
    # `tls_require_client_cert`); {"subject CN": "lp_…"} maps a verified certificate to a tenant.
    tls_client_ca_file: str | None = None
    tls_require_client_cert: bool = False
    tls_client_keys: dict[str, SecretStr] = Field(default_factory=dict)
    # Messages read but not yet handed to ingest. Full: TCP/TLS connections stop being read
    # (the senders' buffers fill and they slow down); UDP datagrams are dropped and counted.
    queue_size: int = Field(default=10_000, gt=0)
    batch_messages: int = Field(default=1000, gt=0)
    consumers: int = Field(default=4, gt=0)
    max_message_bytes: int = Field(default=64 * 1024, gt=0)
    tenant_events_per_second: float = Field(default=5000.0, gt=0)
    tenant_burst: float = Field(default=20_000.0, gt=0)
    # Prometheus metrics of the `logplane syslog` process (received, dropped, refused); off when unset.
    metrics_port: int | None = None

    def problems(self) -> list[str]:
        """What stops the listener from starting. Checked by `logplane syslog`, not at load: every
        process reads these settings, and only the listener needs them right."""
        found = []
        if self.tls_ports and not (self.tls_cert_file and self.tls_key_file):
            found.append(
                "LOGPLANE_SYSLOG_TLS_PORTS needs LOGPLANE_SYSLOG_TLS_CERT_FILE and LOGPLANE_SYSLOG_TLS_KEY_FILE"
            )
        if self.tls_require_client_cert and not self.tls_client_ca_file:
            found.append("LOGPLANE_SYSLOG_TLS_REQUIRE_CLIENT_CERT needs LOGPLANE_SYSLOG_TLS_CLIENT_CA_FILE")
        return found


class AlertSettings(BaseSettings):
    """Alert evaluation and notifications. `secret_key` encrypts channel secrets at rest: one or more
    Fernet keys, comma-separated, the first encrypting (rotation: prepend the new key). Unset, channels
    that need a secret cannot be saved (in dev an ephemeral key is used); a sample or malformed key
    is refused outside dev."""

    model_config = _cfg("ALERTS_")
    env: str = Field(default="production", validation_alias="LOGPLANE_ENV")
    secret_key: SecretStr = SecretStr("")
    evaluation_interval_seconds: float = Field(default=60.0, gt=0)
    delivery_interval_seconds: float = Field(default=2.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=50)
    retry_backoff_seconds: float = Field(default=5.0, gt=0)
    retry_max_backoff_seconds: float = Field(default=600.0, gt=0)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    # Webhooks and SMTP servers on loopback or private networks (off: a tenant must not reach inside).
    allow_private_targets: bool = False
    # CA bundle to check SMTP servers' certificates with, when not the system's.
    smtp_ca_file: str | None = None

    @property
    def secret_keys(self) -> list[str]:
        return [k.strip() for k in self.secret_key.get_secret_value().split(",") if k.strip()]

    @model_validator(mode="after")
    def _real_keys(self) -> AlertSettings:
        from src.adapters.crypto.fernet_cipher import check_key

        for key in self.secret_keys:
            if self.env != "dev" and (key.lower() in _PLACEHOLDERS or _PLACEHOLDER_WORDING.search(key)):
                raise ValueError(
                    "LOGPLANE_ALERTS_SECRET_KEY is a sample value; generate a key (see docs/operations.md)"
                )
            try:
                check_key(key)
            except ValueError as e:
                raise ValueError(
                    f"LOGPLANE_ALERTS_SECRET_KEY: {e}; generate one with: python3 -c "
                    "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
                ) from None
        return self


class Settings:
    """All concerns together; built once by the composition root."""

    def __init__(self) -> None:
        self.database = DatabaseSettings()
        self.auth = AuthSettings()
        self.oidc = OidcSettings()
        self.ingest = IngestSettings()
        self.rate_limit = RateLimitSettings()
        self.redis = RedisSettings()
        self.aws = AwsSettings()
        self.opensearch = OpenSearchSettings()
        self.api = ApiSettings()
        self.worker = WorkerSettings()
        self.anomaly = AnomalySettings()
        self.metrics = MetricsSettings()
        self.syslog = SyslogSettings()
        self.alerts = AlertSettings()
