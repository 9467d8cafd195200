"""Composition root: builds engines, clients and use cases from settings, and closes them.

Nothing here runs at import time; `build_container` is called from the FastAPI lifespan, the
workers' start-up and the CLI. Tests pass `overrides` to swap any collaborator.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.auth.argon2_password_hasher import Argon2PasswordHasher
from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.adapters.crypto.fernet_cipher import FernetSecretCipher
from src.adapters.disabled import (
    UnconfiguredArchiveStore,
    UnconfiguredSearchIndex,
    UnconfiguredSecretCipher,
    UnconfiguredTaskQueue,
)
from src.adapters.notify.channel_sender import ChannelNotificationSender
from src.adapters.notify.http_sender import HttpNotificationSender
from src.adapters.opensearch.search_index import OpenSearchIndex
from src.adapters.postgres.engine import make_app_engine, make_owner_engine
from src.adapters.postgres.outbox import PostgresOutboxStore
from src.adapters.postgres.partitions import PostgresPartitionMaintainer
from src.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from src.adapters.prometheus.ingest_metrics import PrometheusIngestMetrics
from src.adapters.smtp.email_sender import SmtpEmailSender
from src.domain.archive import ArchiveFormat
from src.domain.event_limits import EventLimits
from src.domain.ports.alert_signals import AlertSignals
from src.domain.ports.archive_codec import ArchiveCodec
from src.domain.ports.archive_store import ArchiveStore
from src.domain.ports.event_bus import EventBus
from src.domain.ports.leader_lock import LeaderLock
from src.domain.ports.notification_sender import NotificationSender
from src.domain.ports.oidc_provider import OidcProvider
from src.domain.ports.partition_maintainer import PartitionMaintainer
from src.domain.ports.password_hasher import PasswordHasher
from src.domain.ports.search_index import SearchIndex
from src.domain.ports.secret_cipher import SecretCipher
from src.domain.ports.stream_slots import StreamSlots
from src.domain.ports.task_queue import TaskQueue
from src.domain.ports.token_codec import TokenCodec
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.tenants import Tenant
from src.entrypoints.settings import Settings
from src.usecases.alert_channels import AlertChannels
from src.usecases.alert_history import ListAlerts
from src.usecases.alert_rules import AlertRules
from src.usecases.alert_silences import AlertSilences
from src.usecases.audit_trail import ListAudit
from src.usecases.auth_cache import KeyCache, TtlCache
from src.usecases.authenticate import Authenticate
from src.usecases.compat.loki_read import LokiRead
from src.usecases.create_tenant import CreateTenant
from src.usecases.deliver_notifications import DeliverNotifications
from src.usecases.detect_anomalies import DetectAnomalies, DetectionPolicy
from src.usecases.discover_fields import DiscoverFields, FieldValues
from src.usecases.error_groups import ErrorGroupQueries
from src.usecases.evaluate_alerts import EvaluateAlerts
from src.usecases.export_logs import GetExport, RequestExport, StreamExport
from src.usecases.group_commit import GroupCommitWriter
from src.usecases.ingest_file import RequestFileIngest
from src.usecases.ingest_logs import IngestLogs
from src.usecases.ingest_rejections import IngestRejections
from src.usecases.ingest_text import IngestText, ParseText
from src.usecases.issue_token import IssueToken
from src.usecases.list_anomalies import ListAnomalies
from src.usecases.list_archives import ListArchives
from src.usecases.live_tail import LiveTail
from src.usecases.login import Login, Logout
from src.usecases.manage_api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from src.usecases.manage_users import CreateUser, DeleteUser, GetUser, ListUsers, UpdateUser
from src.usecases.oidc_login import FinishOidcLogin, StartOidcLogin
from src.usecases.patterns import PatternQueries
from src.usecases.publish_tasks import AnnounceCommitted, PublishTasks
from src.usecases.read_logs import GetLog, GetTask, ListTasks
from src.usecases.request_archival import RequestCleanup, RequestRestore
from src.usecases.request_reindex import RequestReindex
from src.usecases.run_anomaly_detection import RunAnomalyDetection
from src.usecases.run_query import RunQuery
from src.usecases.saved_searches import SavedSearches
from src.usecases.search_logs import SearchLogs, SummariseLogs
from src.usecases.tenant_parsers import TenantParsers
from src.usecases.tenant_queries import GetTenant, ListTenants
from src.usecases.update_tenant import UpdateTenant
from src.usecases.watch_credential import WatchCredential

logger = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    app_engine: AsyncEngine
    owner_engine: AsyncEngine
    uow: UnitOfWorkFactory
    codec: TokenCodec
    writer: GroupCommitWriter
    partitions: PostgresPartitionMaintainer
    authenticate: Authenticate
    issue_token: IssueToken
    ingest: IngestLogs
    rejections: IngestRejections
    create_tenant: CreateTenant
    update_tenant: UpdateTenant
    list_tenants: ListTenants
    get_tenant: GetTenant
    create_key: CreateApiKey
    list_keys: ListApiKeys
    revoke_key: RevokeApiKey
    get_log: GetLog
    get_task: GetTask
    list_tasks: ListTasks
    search_index: SearchIndex
    queue: TaskQueue
    publish: PublishTasks
    search: SearchLogs
    summarise: SummariseLogs
    run_query: RunQuery
    saved_searches: SavedSearches
    list_anomalies: ListAnomalies
    run_anomaly_detection: RunAnomalyDetection
    pattern_queries: PatternQueries
    error_groups: ErrorGroupQueries
    discover_fields: DiscoverFields
    field_values: FieldValues
    loki_read: LokiRead
    reindex: RequestReindex
    archive_store: ArchiveStore
    request_cleanup: RequestCleanup
    request_restore: RequestRestore
    list_archives: ListArchives
    bus: EventBus
    stream_slots: StreamSlots
    live_tail: LiveTail
    watch_credential: WatchCredential
    stream_export: StreamExport
    request_export: RequestExport
    get_export: GetExport
    tenant_parsers: TenantParsers
    parse_text: ParseText
    ingest_text: IngestText
    request_file_ingest: RequestFileIngest
    notification_sender: NotificationSender
    alert_rules: AlertRules
    alert_channels: AlertChannels
    alert_silences: AlertSilences
    list_alerts: ListAlerts
    login: Login
    logout: Logout
    create_user: CreateUser
    get_user: GetUser
    list_users: ListUsers
    update_user: UpdateUser
    delete_user: DeleteUser
    list_audit: ListAudit
    extras: dict[str, Any] = field(default_factory=dict)
    # OpenID Connect login: None unless LOGPLANE_OIDC_ISSUER is set.
    oidc_start: StartOidcLogin | None = None
    oidc_finish: FinishOidcLogin | None = None

    async def close(self) -> None:
        await self.writer.close()
        for resource in (
            self.search_index,
            self.queue,
            self.archive_store,
            self.bus,
            self.stream_slots,
            self.notification_sender,
        ):
            closer = getattr(resource, "close", None)
            if closer is not None:
                await closer()
        await self.app_engine.dispose()
        await self.owner_engine.dispose()


def make_token_codec(settings: Settings) -> TokenCodec:
    auth = settings.auth
    secret = auth.jwt_secret.get_secret_value()
    if not secret and auth.env == "dev":
        # Dev without a configured secret: tokens still work, but only within this process.
        secret = secrets.token_urlsafe(48)
        logger.warning("LOGPLANE_JWT_SECRET is not set; tokens issued now die with this process")
    return JoseTokenCodec(
        algorithms=auth.jwt_algorithms,
        secret=secret or None,
        private_key_pem=auth.jwt_private_key_pem.get_secret_value() if auth.jwt_private_key_pem else None,
        public_key_pem=auth.jwt_public_key_pem,
        jwks_url=auth.jwks_url,
        issuer=auth.jwt_issuer,
        audience=auth.jwt_audience,
        leeway_seconds=auth.jwt_leeway_seconds,
        max_lifetime_seconds=auth.token_max_ttl_seconds,
    )


def make_oidc_provider(settings: Settings) -> OidcProvider | None:
    cfg = settings.oidc
    if not cfg.enabled or cfg.issuer is None:
        return None
    from src.adapters.auth.authlib_oidc_provider import AuthlibOidcProvider

    return AuthlibOidcProvider(
        issuer=cfg.issuer,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret.get_secret_value() or None,
        redirect_uri=cfg.redirect_uri,
        scopes=cfg.scopes,
    )


def make_search_index(settings: Settings) -> SearchIndex:
    if settings.opensearch.url:
        return OpenSearchIndex.from_url(settings.opensearch.url)
    return UnconfiguredSearchIndex()


def make_task_queue(settings: Settings) -> TaskQueue:
    if not settings.aws.queues_enabled:
        return UnconfiguredTaskQueue()
    import aioboto3

    from src.adapters.sqs.task_queue import SqsTaskQueue

    return SqsTaskQueue(aioboto3.Session(), endpoint_url=settings.aws.endpoint_url, prefix=settings.aws.queue_prefix)


def make_event_bus(settings: Settings) -> EventBus:
    if settings.redis.redis_url:
        from redis.asyncio import Redis

        from src.adapters.redis.event_bus import RedisEventBus

        return RedisEventBus(Redis.from_url(settings.redis.redis_url))
    from src.adapters.memory.event_bus import InProcessEventBus

    return InProcessEventBus()


def make_stream_slots(settings: Settings) -> StreamSlots:
    if settings.redis.redis_url:
        from redis.asyncio import Redis

        from src.adapters.redis.stream_slots import RedisStreamSlots

        return RedisStreamSlots(
            Redis.from_url(settings.redis.redis_url), lease_seconds=settings.api.stream_lease_seconds
        )
    # One process without Redis: its own count is the whole count.
    from src.adapters.memory.stream_slots import InProcessStreamSlots

    return InProcessStreamSlots()


def make_archive_store(settings: Settings) -> ArchiveStore:
    if not settings.aws.queues_enabled:
        return UnconfiguredArchiveStore()
    import aioboto3

    from src.adapters.s3.archive_store import S3ArchiveStore

    return S3ArchiveStore(
        aioboto3.Session(),
        endpoint_url=settings.aws.s3_endpoint,
        bucket=settings.aws.bucket,
        public_endpoint_url=settings.aws.s3_public_endpoint_url,
    )


def make_archive_codecs() -> dict[ArchiveFormat, ArchiveCodec]:
    """Every archive format: restore reads old archives in theirs whatever the tenant uses now."""
    from src.adapters.arrow.archive_parquet import ParquetArchiveCodec
    from src.adapters.ndjson.archive_codecs import GzipNdjsonCodec, ZstdNdjsonCodec

    codecs: list[ArchiveCodec] = [ParquetArchiveCodec(), ZstdNdjsonCodec(), GzipNdjsonCodec()]
    return {c.archive_format: c for c in codecs}


def build_anomaly_detection(settings: Settings, uow: UnitOfWorkFactory) -> DetectAnomalies:
    """The anomaly run as the scheduler (`logplane worker anomalies`) and the run-now route use it."""
    from src.adapters.sklearn.isolation_forest import SklearnIsolationForest
    from src.domain.anomalies.scoring import WindowScorer

    cfg = settings.anomaly
    policy = DetectionPolicy(
        threshold=cfg.threshold,
        settle=timedelta(seconds=cfg.settle_seconds),
        history=timedelta(days=cfg.history_days),
        backfill=timedelta(hours=cfg.backfill_hours),
    )
    return DetectAnomalies(uow, WindowScorer(SklearnIsolationForest()), policy=policy)


def make_secret_cipher(settings: Settings) -> SecretCipher:
    cfg = settings.alerts
    if cfg.secret_keys:
        return FernetSecretCipher(cfg.secret_keys)
    if cfg.env == "dev":
        logger.warning("LOGPLANE_ALERTS_SECRET_KEY is not set; alert channel secrets saved now die with this process")
        return FernetSecretCipher.ephemeral()
    return UnconfiguredSecretCipher()


def make_notification_sender(settings: Settings) -> NotificationSender:
    cfg = settings.alerts
    return ChannelNotificationSender(
        http=HttpNotificationSender(
            timeout=cfg.request_timeout_seconds, allow_private_targets=cfg.allow_private_targets
        ),
        email=SmtpEmailSender(
            timeout=cfg.request_timeout_seconds,
            allow_private_targets=cfg.allow_private_targets,
            ca_file=cfg.smtp_ca_file,
        ),
    )


def make_alert_signals(engine: AsyncEngine) -> AlertSignals:
    """Rules on new patterns, new error groups and anomaly scores read the analytics tables."""
    from src.adapters.postgres.alert_signals import PostgresAlertSignals

    return PostgresAlertSignals(engine)


def build_alert_evaluation(
    settings: Settings,
    uow: UnitOfWorkFactory,
    index: SearchIndex,
    lock: LeaderLock,
    *,
    cipher: SecretCipher,
    sender: NotificationSender,
    signals: AlertSignals,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[EvaluateAlerts, DeliverNotifications]:
    """The alerts worker's two use cases (tests build them the same way, with their own clock)."""
    cfg = settings.alerts
    deliver = DeliverNotifications(
        uow,
        cipher,
        sender,
        max_attempts=cfg.max_attempts,
        backoff=timedelta(seconds=cfg.retry_backoff_seconds),
        max_backoff=timedelta(seconds=cfg.retry_max_backoff_seconds),
        clock=clock,
    )
    evaluate = EvaluateAlerts(uow, index, signals, lock, deliver, clock=clock)
    return evaluate, deliver


def build_ingest(
    settings: Settings, uow: UnitOfWorkFactory, partitions: PartitionMaintainer, publish: PublishTasks, bus: EventBus
) -> tuple[IngestLogs, GroupCommitWriter, IngestRejections]:
    """The ingest path (group commit, limits, rejections), as the API and the ingest worker use it.
    The writer must be closed on the way out."""
    cfg = settings.ingest
    writer = GroupCommitWriter(
        uow,
        partitions,
        max_batch_events=cfg.group_commit_max_events,
        max_inflight=cfg.group_commit_inflight,
        metrics=PrometheusIngestMetrics(tenant_labels=settings.metrics.tenant_labels),
        after_commit=AnnounceCommitted(publish, bus).execute,
    )
    limits = EventLimits(
        max_message_bytes=cfg.max_message_bytes,
        max_attribute_depth=cfg.max_attribute_depth,
        max_attribute_keys=cfg.max_attribute_keys,
        max_attributes_bytes=cfg.max_attributes_bytes,
        max_future_skew=timedelta(seconds=cfg.max_future_skew_seconds),
    )
    rejections = IngestRejections(uow, PrometheusIngestMetrics())
    return IngestLogs(writer, limits=limits, rejections=rejections), writer, rejections


def build_container(settings: Settings, overrides: dict[str, Any] | None = None) -> Container:
    overrides = overrides or {}
    app_engine = make_app_engine(settings.database.database_url, pool_size=settings.database.pool_size)
    owner_engine = make_owner_engine(settings.database.database_url)
    uow: UnitOfWorkFactory = overrides.get("uow") or PostgresUnitOfWorkFactory(app_engine)
    codec: TokenCodec = overrides.get("codec") or make_token_codec(settings)
    partitions = overrides.get("partitions") or PostgresPartitionMaintainer(app_engine)
    ingest_cfg = settings.ingest
    search_index: SearchIndex = overrides.get("search_index") or make_search_index(settings)
    queue: TaskQueue = overrides.get("queue") or make_task_queue(settings)
    publish = PublishTasks(queue, PostgresOutboxStore(owner_engine), timeout=settings.worker.publish_timeout_seconds)
    archive_store: ArchiveStore = overrides.get("archive_store") or make_archive_store(settings)
    bus: EventBus = overrides.get("bus") or make_event_bus(settings)
    stream_slots: StreamSlots = overrides.get("stream_slots") or make_stream_slots(settings)
    ingest, writer, rejections = build_ingest(settings, uow, partitions, publish, bus)
    cache_ttl = settings.auth.credential_cache_seconds
    key_cache: KeyCache = TtlCache(ttl=cache_ttl)
    tenant_cache: TtlCache[UUID, Tenant | None] = TtlCache(ttl=cache_ttl)
    authenticate = Authenticate(uow, codec, keys=key_cache, tenants=tenant_cache)
    tenant_parsers = TenantParsers(uow, cache_seconds=cache_ttl)
    notification_sender: NotificationSender = overrides.get("notification_sender") or make_notification_sender(settings)
    cipher: SecretCipher = overrides.get("secret_cipher") or make_secret_cipher(settings)
    hasher: PasswordHasher = overrides.get("password_hasher") or Argon2PasswordHasher()
    session_ttl = timedelta(seconds=settings.auth.session_ttl_seconds)
    oidc: OidcProvider | None = overrides.get("oidc_provider") or make_oidc_provider(settings)
    return Container(
        settings=settings,
        app_engine=app_engine,
        owner_engine=owner_engine,
        uow=uow,
        codec=codec,
        writer=writer,
        partitions=partitions,
        authenticate=authenticate,
        issue_token=IssueToken(
            authenticate,
            codec,
            issuer=settings.auth.jwt_issuer,
            audience=settings.auth.jwt_audience,
            default_ttl=settings.auth.token_ttl_seconds,
            max_ttl=settings.auth.token_max_ttl_seconds,
        ),
        ingest=ingest,
        rejections=rejections,
        create_tenant=CreateTenant(uow, default_retention_days=ingest_cfg.default_retention_days),
        update_tenant=UpdateTenant(uow, tenant_cache=tenant_cache),
        list_tenants=ListTenants(uow),
        get_tenant=GetTenant(uow),
        create_key=CreateApiKey(uow),
        list_keys=ListApiKeys(uow),
        revoke_key=RevokeApiKey(uow, key_cache=key_cache),
        get_log=GetLog(uow),
        get_task=GetTask(uow),
        list_tasks=ListTasks(uow),
        search_index=search_index,
        queue=queue,
        publish=publish,
        search=SearchLogs(search_index, uow),
        summarise=SummariseLogs(search_index, uow),
        run_query=RunQuery(search_index, uow),
        saved_searches=SavedSearches(uow),
        list_anomalies=ListAnomalies(uow),
        run_anomaly_detection=RunAnomalyDetection(
            overrides.get("detect_anomalies") or build_anomaly_detection(settings, uow)
        ),
        pattern_queries=PatternQueries(uow),
        error_groups=ErrorGroupQueries(uow),
        discover_fields=DiscoverFields(uow),
        field_values=FieldValues(RunQuery(search_index, uow)),
        loki_read=LokiRead(RunQuery(search_index, uow)),
        reindex=RequestReindex(uow, publish),
        archive_store=archive_store,
        request_cleanup=RequestCleanup(uow, publish),
        request_restore=RequestRestore(uow, publish),
        list_archives=ListArchives(archive_store),
        bus=bus,
        stream_slots=stream_slots,
        live_tail=LiveTail(
            bus,
            uow,
            stream_slots,
            queue_size=settings.api.stream_queue_size,
            replay_limit=settings.api.stream_replay_limit,
            max_streams=settings.api.stream_max_per_tenant,
        ),
        watch_credential=WatchCredential(authenticate, interval=settings.api.stream_recheck_seconds),
        stream_export=StreamExport(uow),
        request_export=RequestExport(uow, publish),
        get_export=GetExport(uow, archive_store),
        tenant_parsers=tenant_parsers,
        parse_text=ParseText(tenant_parsers),
        ingest_text=IngestText(tenant_parsers, ingest, max_events=ingest_cfg.max_batch_events),
        request_file_ingest=RequestFileIngest(uow, archive_store, publish),
        notification_sender=notification_sender,
        alert_rules=AlertRules(uow),
        alert_channels=AlertChannels(uow, cipher, notification_sender),
        alert_silences=AlertSilences(uow),
        list_alerts=ListAlerts(uow),
        login=Login(uow, hasher, ttl=session_ttl),
        logout=Logout(uow),
        create_user=CreateUser(uow, hasher),
        get_user=GetUser(uow),
        list_users=ListUsers(uow),
        update_user=UpdateUser(uow, hasher),
        delete_user=DeleteUser(uow),
        list_audit=ListAudit(uow),
        oidc_start=StartOidcLogin(uow, oidc) if oidc else None,
        oidc_finish=FinishOidcLogin(
            uow, oidc, ttl=session_ttl, require_verified_email=settings.oidc.require_verified_email
        )
        if oidc
        else None,
    )
