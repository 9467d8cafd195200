"""In-memory fakes of the ports, for unit tests of use cases (no database, no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from src.domain.anomalies.anomaly import Anomaly, AnomalyFilter
from src.domain.anomalies.features import ERROR_SEVERITY, WindowFeatures, floor_window, severity_features
from src.domain.audit import AuditEntry
from src.domain.commit_order import CommitPosition, CommitSpan, CommittedPage
from src.domain.credentials import ApiKey
from src.domain.errors import Conflict, DependencyUnavailable
from src.domain.fields_catalogue import FieldCatalogue
from src.domain.logs import LogEvent
from src.domain.ports.anomaly_repository import AnomalyRepository
from src.domain.ports.api_key_repository import ApiKeyRepository
from src.domain.ports.audit_log import AuditLog
from src.domain.ports.commit_order import CommitOrder
from src.domain.ports.log_reader import LogReader
from src.domain.ports.log_repository import IdempotencyClaim, LogRepository
from src.domain.ports.parser_repository import ParserRepository, StoredParser
from src.domain.ports.partition_maintainer import PartitionMaintainer
from src.domain.ports.password_hasher import PasswordHasher
from src.domain.ports.rejection_repository import RejectionRepository
from src.domain.ports.saved_search_repository import SavedSearch, SavedSearchRepository
from src.domain.ports.search_index import IndexReport, SearchIndex, SearchPage
from src.domain.ports.task_queue import QueueMessage, TaskQueue
from src.domain.ports.task_repository import TaskRepository
from src.domain.ports.tenant_repository import TenantRepository
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.ports.user_repository import UserRepository
from src.domain.ports.user_session_repository import UserSessionRepository
from src.domain.ports.window_feature_source import WindowFeatureSource
from src.domain.query import Cursor, LogQuery, LogStats, StatsQuery
from src.domain.querylang.table import PipelineQuery, PipelineRows
from src.domain.rejections import RejectionCount, RejectionSummary
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.domain.tenants import Tenant
from src.domain.users import ActiveSession, User, UserSession
from tests.alert_fakes import (
    AlertData,
    FakeAlertChannelRepository,
    FakeAlertHistoryRepository,
    FakeAlertRuleRepository,
    FakeAlertSilenceRepository,
)
from tests.alert_fakes import _Work as _AlertWork


class Store:
    """What a database would hold; fakes stage writes and apply them on commit."""

    def __init__(self) -> None:
        self.logs: dict[UUID, LogEvent] = {}
        self.claims: dict[tuple[UUID, str], IdempotencyClaim] = {}
        self.tasks: dict[UUID, AsyncTask] = {}
        self.tenants: dict[UUID, Tenant] = {}
        self.keys: dict[UUID, ApiKey] = {}
        self.parsers: dict[tuple[UUID, str], StoredParser] = {}
        self.rejections: dict[tuple[UUID, str, str], RejectionSummary] = {}
        self.saved_searches: dict[tuple[UUID, UUID], SavedSearch] = {}
        self.anomaly_windows: dict[tuple[UUID, str, datetime], WindowFeatures] = {}
        self.anomalies: dict[tuple[UUID, str, datetime], Anomaly] = {}
        self.watermarks: dict[UUID, datetime] = {}
        self.alerting = AlertData()
        # Commit order: one (tenant, ids) entry per recorded group, appended at commit (index = seq - 1).
        self.commit_order: list[tuple[UUID, list[UUID]]] = []
        self.users: dict[tuple[UUID, UUID], User] = {}
        self.sessions: dict[tuple[UUID, UUID], UserSession] = {}
        self.audit: list[AuditEntry] = []
        self.commits = 0
        self.fail_next_commits = 0
        self.fail_when_message: str | None = None


class _Staged:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.clear()

    def clear(self) -> None:
        self.logs: dict[UUID, LogEvent] = {}
        self.claims: dict[tuple[UUID, str], IdempotencyClaim] = {}
        self.tasks: dict[UUID, AsyncTask] = {}
        self.tenants: dict[UUID, Tenant] = {}
        self.keys: dict[UUID, ApiKey] = {}
        self.commit_order: list[tuple[UUID, list[UUID]]] = []
        self.audit: list[AuditEntry] = []


class FakeCommitOrder(CommitOrder):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def record(self, *, tenant_id: UUID, log_ids: Sequence[UUID], span: CommitSpan | None = None) -> None:
        assert span is None or span == CommitSpan.of(log_ids), "the span must be the ids'"
        if log_ids:
            self._s.commit_order.append((tenant_id, list(log_ids)))

    async def log_ids(self, *, tenant_id: UUID, span: CommitSpan) -> list[UUID] | None:
        for tenant, ids in self._s.store.commit_order:
            if tenant == tenant_id and CommitSpan.of(ids) == span:
                return list(ids)
        return None

    async def position(self, *, tenant_id: UUID, log_id: UUID) -> CommitPosition | None:
        for seq, (tenant, ids) in enumerate(self._s.store.commit_order, start=1):
            if tenant == tenant_id and log_id in ids:
                return CommitPosition(seq=seq, index=ids.index(log_id) + 1)
        return None

    async def events_after(self, *, tenant_id: UUID, after: CommitPosition, limit: int) -> CommittedPage:
        entries = [
            (CommitPosition(seq=seq, index=i), log_id)
            for seq, (tenant, ids) in enumerate(self._s.store.commit_order, start=1)
            if tenant == tenant_id
            for i, log_id in enumerate(ids, start=1)
            if CommitPosition(seq=seq, index=i) > after
        ][:limit]
        events = [self._s.store.logs[log_id] for _, log_id in entries if log_id in self._s.store.logs]
        return CommittedPage(events=events, last=entries[-1][0] if entries else None)


class FakeLogRepository(LogRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def claim_client_ids(
        self, *, tenant_id: UUID, claims: Sequence[IdempotencyClaim]
    ) -> dict[str, IdempotencyClaim]:
        earlier: dict[str, IdempotencyClaim] = {}
        for claim in claims:
            key = (tenant_id, claim.client_id)
            found = self._s.store.claims.get(key) or self._s.claims.get(key)
            if found is None:
                self._s.claims[key] = claim
            else:
                earlier[claim.client_id] = found
        return earlier

    async def add_many(self, *, events: Sequence[LogEvent]) -> None:
        for event in events:
            if self._s.store.fail_when_message is not None and event.message == self._s.store.fail_when_message:
                raise RuntimeError("storage refused this row")
            self._s.logs[event.id] = event

    async def restore_many(self, *, events: Sequence[LogEvent]) -> int:
        new = [e for e in events if e.id not in self._s.store.logs and e.id not in self._s.logs]
        for event in new:
            self._s.logs[event.id] = event
        return len(new)

    async def get(self, *, tenant_id: UUID, log_id: UUID) -> LogEvent | None:
        event = self._s.store.logs.get(log_id)
        return event if event is not None and event.tenant_id == tenant_id else None

    async def count(self, *, tenant_id: UUID) -> int:
        return sum(1 for e in self._s.store.logs.values() if e.tenant_id == tenant_id)


class FakeTaskRepository(TaskRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def add_many(self, *, tasks: Sequence[AsyncTask]) -> None:
        for task in tasks:
            self._s.tasks[task.task_id] = task

    async def get(self, *, tenant_id: UUID, task_id: UUID) -> AsyncTask | None:
        task = self._s.store.tasks.get(task_id)
        return task if task is not None and task.tenant_id == tenant_id else None

    async def list(
        self, *, tenant_id: UUID, task_type: TaskType | None = None, status: TaskStatus | None = None, limit: int = 100
    ) -> list[AsyncTask]:
        return [
            t
            for t in self._s.store.tasks.values()
            if t.tenant_id == tenant_id
            and (task_type is None or t.task_type == task_type)
            and (status is None or t.status == status)
        ][:limit]

    async def start(self, *, tenant_id: UUID, task_id: UUID) -> AsyncTask | None:
        task = await self.get(tenant_id=tenant_id, task_id=task_id)
        if task is None or task.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED):
            return None
        started = replace(task, status=TaskStatus.RUNNING, attempts=task.attempts + 1)
        self._s.tasks[task_id] = started
        return started

    async def record_progress(self, *, tenant_id: UUID, task_id: UUID, result: dict[str, Any]) -> None:
        task = self._s.tasks.get(task_id) or self._s.store.tasks[task_id]
        self._s.tasks[task_id] = replace(task, result={**task.result, **result})

    async def finish(
        self,
        *,
        tenant_id: UUID,
        task_id: UUID,
        status: TaskStatus,
        result: dict[str, Any] | None = None,
        error_msg: str | None = None,
    ) -> None:
        task = self._s.tasks.get(task_id) or self._s.store.tasks[task_id]
        self._s.tasks[task_id] = replace(
            task, status=status, result={**task.result, **(result or {})}, error_msg=error_msg
        )


class FakeLogReader(LogReader):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    def _mine(self, tenant_id: UUID) -> list[LogEvent]:
        return sorted(
            (e for e in self._s.store.logs.values() if e.tenant_id == tenant_id), key=lambda e: (e.timestamp, e.id)
        )

    async def get_many(self, *, tenant_id: UUID, ids: Sequence[UUID]) -> list[LogEvent]:
        wanted = set(ids)
        return [e for e in self._mine(tenant_id) if e.id in wanted]

    async def in_id_span(
        self, *, tenant_id: UUID, lowest: UUID, highest: UUID, start: datetime, end: datetime
    ) -> list[LogEvent]:
        return [e for e in self._mine(tenant_id) if lowest <= e.id <= highest and start <= e.timestamp <= end]

    async def scan(
        self, *, tenant_id: UUID, start: datetime | None, end: datetime | None, after: Cursor | None, limit: int
    ) -> list[LogEvent]:
        rows = [
            e
            for e in self._mine(tenant_id)
            if (start is None or e.timestamp >= start)
            and (end is None or e.timestamp <= end)
            and (after is None or (e.timestamp, e.id) > (after.timestamp, after.id))
        ]
        return rows[:limit]

    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage:
        rows = [e for e in self._mine(tenant_id) if query.service is None or e.service == query.service]
        if query.descending:
            rows.reverse()
        return SearchPage(items=rows[: query.page_size], total=len(rows))

    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        return evaluate_pipeline(self._mine(tenant_id), query)

    async def field_catalogue(self, *, tenant_id: UUID, start: datetime, end: datetime, sample: int) -> FieldCatalogue:
        from src.domain.fields_catalogue import FieldCount

        rows = [e for e in self._mine(tenant_id) if start <= e.timestamp <= end][-sample:]
        keys = sorted({k for e in rows for k in e.attributes})
        fields = [FieldCount(name="message", type="text", count=len(rows))]
        fields += [
            FieldCount(name=f"attr.{k}", type="string", count=sum(1 for e in rows if k in e.attributes)) for k in keys
        ]
        return FieldCatalogue(fields=fields, events=len(rows), sampled=False)

    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats:
        rows = self._mine(tenant_id)
        return LogStats(total=len(rows), by_severity={}, top_services=[])

    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int:
        return len(self._mine(tenant_id))

    async def after_id(self, *, tenant_id: UUID, after: UUID, limit: int) -> list[LogEvent]:
        return sorted((e for e in self._mine(tenant_id) if e.id > after), key=lambda e: e.id)[:limit]

    async def stream_query(self, *, tenant_id: UUID, query: LogQuery) -> AsyncIterator[LogEvent]:
        for event in (await self.search(tenant_id=tenant_id, query=query)).items:
            yield event

    async def export_lines(self, *, tenant_id: UUID, query: LogQuery, csv: bool) -> AsyncIterator[bytes]:
        import orjson

        from src.domain.logs import public_view

        async for event in self.stream_query(tenant_id=tenant_id, query=query):
            yield orjson.dumps(public_view(event)) + b"\n"

    def _archivable(self, tenant_id: UUID, before: datetime, received_before: datetime) -> list[LogEvent]:
        return [e for e in self._mine(tenant_id) if e.timestamp < before and e.received_at < received_before]

    async def stream_archivable(
        self, *, tenant_id: UUID, before: datetime, received_before: datetime
    ) -> AsyncIterator[LogEvent]:
        for event in self._archivable(tenant_id, before, received_before):
            yield event

    async def count_archivable(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        return len(self._archivable(tenant_id, before, received_before))


class FakeSearchIndex(SearchIndex):
    def __init__(self) -> None:
        self.docs: dict[UUID, LogEvent] = {}
        self.down = False
        self.refuse: set[str] = set()
        self.bulk_calls = 0

    def _check(self) -> None:
        if self.down:
            raise DependencyUnavailable(
                "search is down", code="search_unavailable", details={"dependency": "opensearch"}
            )

    async def ping(self) -> None:
        self._check()

    async def index(self, events: Sequence[LogEvent]) -> IndexReport:
        self._check()
        self.bulk_calls += 1
        refused = [e for e in events if e.message in self.refuse]
        for event in events:
            if event not in refused:
                self.docs[event.id] = event
        return IndexReport(indexed=len(events) - len(refused), failed=len(refused), errors=["refused"] * len(refused))

    async def search(self, *, tenant_id: UUID, query: LogQuery) -> SearchPage:
        self._check()
        rows = [e for e in self.docs.values() if e.tenant_id == tenant_id]
        return SearchPage(items=rows[: query.page_size], total=len(rows))

    async def run_pipeline(self, *, tenant_id: UUID, query: PipelineQuery) -> PipelineRows:
        self._check()
        return evaluate_pipeline([e for e in self.docs.values() if e.tenant_id == tenant_id], query)

    async def stats(self, *, tenant_id: UUID, query: StatsQuery) -> LogStats:
        self._check()
        return LogStats(
            total=sum(1 for e in self.docs.values() if e.tenant_id == tenant_id), by_severity={}, top_services=[]
        )

    async def count(self, *, tenant_id: UUID, start: datetime | None = None, end: datetime | None = None) -> int:
        self._check()
        return sum(1 for e in self.docs.values() if e.tenant_id == tenant_id)

    async def delete_range(self, *, tenant_id: UUID, start: datetime | None, end: datetime | None) -> int:
        self._check()
        gone = [k for k, e in self.docs.items() if e.tenant_id == tenant_id]
        for key in gone:
            del self.docs[key]
        return len(gone)

    async def delete_archived(self, *, tenant_id: UUID, before: datetime, received_before: datetime) -> int:
        self._check()
        gone = [
            k
            for k, e in self.docs.items()
            if e.tenant_id == tenant_id and e.timestamp < before and e.received_at < received_before
        ]
        for key in gone:
            del self.docs[key]
        return len(gone)

    async def refresh(self) -> None:
        self._check()


class FakeTaskQueue(TaskQueue):
    def __init__(self) -> None:
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.acked: list[str] = []
        self.extended: list[str] = []
        self.down = False

    async def publish(self, *, queue: str, bodies: Sequence[dict[str, Any]]) -> None:
        if self.down:
            raise DependencyUnavailable("queue is down")
        self.sent.setdefault(queue, []).extend(bodies)

    async def receive(self, *, queue: str, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]:
        bodies, self.sent[queue] = self.sent.get(queue, [])[:max_messages], self.sent.get(queue, [])[max_messages:]
        return [QueueMessage(body=b, receipt=f"r{i}", receive_count=1) for i, b in enumerate(bodies)]

    async def ack(self, *, queue: str, receipts: Sequence[str]) -> None:
        self.acked.extend(receipts)

    async def extend(self, *, queue: str, receipt: str, seconds: int) -> None:
        self.extended.append(receipt)


class FakeTenantRepository(TenantRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def add(self, *, tenant: Tenant) -> None:
        if any(t.name == tenant.name for t in [*self._s.store.tenants.values(), *self._s.tenants.values()]):
            raise Conflict(f"a tenant named {tenant.name!r} exists", code="tenant_exists")
        self._s.tenants[tenant.id] = tenant

    async def get(self, *, tenant_id: UUID) -> Tenant | None:
        return self._s.tenants.get(tenant_id) or self._s.store.tenants.get(tenant_id)

    async def get_by_name(self, *, name: str) -> Tenant | None:
        return next((t for t in self._s.store.tenants.values() if t.name == name), None)

    async def list(self) -> list[Tenant]:
        return list(self._s.store.tenants.values())

    async def update(self, *, tenant: Tenant) -> None:
        self._s.tenants[tenant.id] = tenant


class FakeApiKeyRepository(ApiKeyRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def add(self, *, key: ApiKey) -> None:
        self._s.keys[key.id] = key

    async def find_by_hash(self, *, key_hash: bytes) -> ApiKey | None:
        return next((k for k in self._s.store.keys.values() if k.key_hash == key_hash), None)

    async def get(self, *, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        key = self._s.store.keys.get(key_id)
        return key if key is not None and key.tenant_id == tenant_id else None

    async def list(self, *, tenant_id: UUID) -> list[ApiKey]:
        return [k for k in self._s.store.keys.values() if k.tenant_id == tenant_id]

    async def revoke(self, *, tenant_id: UUID, key_id: UUID, at: datetime) -> bool:
        key = self._s.store.keys.get(key_id)
        if key is None or key.tenant_id != tenant_id or key.is_revoked:
            return False
        self._s.keys[key_id] = replace(key, revoked_at=at)
        return True


class FakeParserRepository(ParserRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def put(self, *, parser: StoredParser) -> None:
        self._s.store.parsers[(parser.tenant_id, parser.name)] = parser

    async def list(self, *, tenant_id: UUID) -> list[StoredParser]:
        return sorted((p for (t, _), p in self._s.store.parsers.items() if t == tenant_id), key=lambda p: p.name)

    async def delete(self, *, tenant_id: UUID, name: str) -> bool:
        return self._s.store.parsers.pop((tenant_id, name), None) is not None


class FakeRejectionRepository(RejectionRepository):
    """Writes straight to the store (the tally is not part of any other write's transaction)."""

    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def record(self, *, tenant_id: UUID, counts: Sequence[RejectionCount], at: datetime) -> None:
        for c in counts:
            key = (tenant_id, c.route, c.reason)
            known = self._s.store.rejections.get(key)
            self._s.store.rejections[key] = RejectionSummary(
                route=c.route,
                reason=c.reason,
                count=c.count + (known.count if known else 0),
                sample=c.sample,
                first_seen=known.first_seen if known else at,
                last_seen=max(known.last_seen, at) if known else at,
            )

    async def recent(self, *, tenant_id: UUID, limit: int) -> list[RejectionSummary]:
        mine = [r for (t, _, _), r in self._s.store.rejections.items() if t == tenant_id]
        return sorted(mine, key=lambda r: r.last_seen, reverse=True)[:limit]


class FakeSavedSearchRepository(SavedSearchRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    def _mine(self, tenant_id: UUID) -> list[SavedSearch]:
        return sorted((s for (t, _), s in self._s.store.saved_searches.items() if t == tenant_id), key=lambda s: s.name)

    async def add(self, *, search: SavedSearch) -> bool:
        if any(s.name == search.name for s in self._mine(search.tenant_id)):
            return False
        self._s.store.saved_searches[(search.tenant_id, search.id)] = search
        return True

    async def get(self, *, tenant_id: UUID, search_id: UUID) -> SavedSearch | None:
        return self._s.store.saved_searches.get((tenant_id, search_id))

    async def list(self, *, tenant_id: UUID) -> list[SavedSearch]:
        return self._mine(tenant_id)

    async def count(self, *, tenant_id: UUID) -> int:
        return len(self._mine(tenant_id))

    async def update(self, *, search: SavedSearch) -> bool:
        key = (search.tenant_id, search.id)
        clash = any(s.name == search.name and s.id != search.id for s in self._mine(search.tenant_id))
        if key not in self._s.store.saved_searches or clash:
            return False
        self._s.store.saved_searches[key] = search
        return True

    async def delete(self, *, tenant_id: UUID, search_id: UUID) -> bool:
        return self._s.store.saved_searches.pop((tenant_id, search_id), None) is not None


class FakeAnomalyRepository(AnomalyRepository):
    """Writes go straight to the store (no staging): enough for the scorer's and runs' rules."""

    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def lock_watermark(self, *, tenant_id: UUID) -> datetime | None:
        return self._s.store.watermarks.get(tenant_id)

    async def set_watermark(self, *, tenant_id: UUID, processed_until: datetime) -> None:
        self._s.store.watermarks[tenant_id] = processed_until

    async def save_windows(self, *, tenant_id: UUID, windows: Sequence[WindowFeatures]) -> None:
        for w in windows:
            self._s.store.anomaly_windows[(tenant_id, w.service, w.start)] = w

    async def windows(self, *, tenant_id: UUID, ranges: Sequence[tuple[datetime, datetime]]) -> list[WindowFeatures]:
        found = [
            w
            for (t, _, s), w in self._s.store.anomaly_windows.items()
            if t == tenant_id and any(lo <= s < hi for lo, hi in ranges)
        ]
        return sorted(found, key=lambda w: (w.start, w.service))

    async def prune_windows(self, *, tenant_id: UUID, before: datetime) -> int:
        old = [k for k in self._s.store.anomaly_windows if k[0] == tenant_id and k[2] < before]
        for k in old:
            del self._s.store.anomaly_windows[k]
        return len(old)

    async def save_anomalies(
        self, *, tenant_id: UUID, start: datetime, end: datetime, anomalies: Sequence[Anomaly]
    ) -> None:
        for k in [k for k in self._s.store.anomalies if k[0] == tenant_id and start <= k[2] < end]:
            del self._s.store.anomalies[k]
        for a in anomalies:
            self._s.store.anomalies[(a.tenant_id, a.service, a.window_start)] = a

    async def list(self, *, tenant_id: UUID, where: AnomalyFilter) -> list[Anomaly]:
        found = [
            a
            for a in self._s.store.anomalies.values()
            if a.tenant_id == tenant_id
            and a.score >= where.min_score
            and (where.start is None or a.window_end > where.start)
            and (where.end is None or a.window_start <= where.end)
            and (where.service is None or a.service == where.service)
        ]
        return sorted(found, key=lambda a: (a.window_start, a.score), reverse=True)[: where.limit]


class FakeWindowFeatures(WindowFeatureSource):
    """Counts the store's events per service and window, as the SQL does."""

    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def extract(
        self, *, tenant_id: UUID, start: datetime, end: datetime, window: timedelta
    ) -> list[WindowFeatures]:
        counts: dict[tuple[str, datetime], list[int]] = {}
        for e in self._s.store.logs.values():
            if e.tenant_id == tenant_id and start <= e.timestamp < end:
                c = counts.setdefault((e.service or "", floor_window(e.timestamp, window)), [0, 0])
                c[0] += 1
                c[1] += e.severity >= ERROR_SEVERITY
        return [
            WindowFeatures(service=service, start=at, values=severity_features(n, errors))
            for (service, at), (n, errors) in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ]


class FakeUserRepository(UserRepository):
    """Writes land at once (like the saved searches fake); the audit log is the staged part."""

    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def add(self, *, user: User) -> bool:
        if await self.get_by_email(tenant_id=user.tenant_id, email=user.email) is not None:
            return False
        self._s.store.users[(user.tenant_id, user.id)] = user
        return True

    async def get(self, *, tenant_id: UUID, user_id: UUID) -> User | None:
        return self._s.store.users.get((tenant_id, user_id))

    async def get_by_email(self, *, tenant_id: UUID, email: str) -> User | None:
        return next((u for (t, _), u in self._s.store.users.items() if t == tenant_id and u.email == email), None)

    async def list(self, *, tenant_id: UUID) -> list[User]:
        return sorted((u for (t, _), u in self._s.store.users.items() if t == tenant_id), key=lambda u: u.email)

    async def update(self, *, user: User) -> None:
        if (user.tenant_id, user.id) in self._s.store.users:
            self._s.store.users[(user.tenant_id, user.id)] = user

    async def delete(self, *, tenant_id: UUID, user_id: UUID) -> bool:
        for key in [k for k, s in self._s.store.sessions.items() if s.tenant_id == tenant_id and s.user_id == user_id]:
            del self._s.store.sessions[key]
        return self._s.store.users.pop((tenant_id, user_id), None) is not None


class FakeUserSessionRepository(UserSessionRepository):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def add(self, *, session: UserSession) -> None:
        self._s.store.sessions[(session.tenant_id, session.id)] = session

    async def find_by_hash(self, *, token_hash: bytes) -> ActiveSession | None:
        for session in self._s.store.sessions.values():
            if session.token_hash == token_hash:
                user = self._s.store.users.get((session.tenant_id, session.user_id))
                return ActiveSession(session=session, user=user) if user else None
        return None

    async def revoke(self, *, tenant_id: UUID, session_id: UUID, at: datetime) -> bool:
        session = self._s.store.sessions.get((tenant_id, session_id))
        if session is None or session.revoked_at is not None:
            return False
        self._s.store.sessions[(tenant_id, session_id)] = replace(session, revoked_at=at)
        return True

    async def revoke_all_of(self, *, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        live = [s for s in self._s.store.sessions.values() if (s.tenant_id, s.user_id) == (tenant_id, user_id)]
        for session in live:
            await self.revoke(tenant_id=tenant_id, session_id=session.id, at=at)
        return len(live)


class FakeAuditLog(AuditLog):
    def __init__(self, staged: _Staged) -> None:
        self._s = staged

    async def record(self, *, entry: AuditEntry) -> None:
        self._s.audit.append(entry)

    async def list(
        self, *, tenant_id: UUID, start: datetime | None, end: datetime | None, limit: int
    ) -> list[AuditEntry]:
        mine = [
            e
            for e in self._s.store.audit
            if e.tenant_id == tenant_id and (start is None or e.at >= start) and (end is None or e.at < end)
        ]
        return sorted(mine, key=lambda e: (e.at, e.id), reverse=True)[:limit]


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: Store) -> None:
        self._store = store
        self._staged = _Staged(store)
        self.logs = FakeLogRepository(self._staged)
        self.reader = FakeLogReader(self._staged)
        self.tasks = FakeTaskRepository(self._staged)
        self.tenants = FakeTenantRepository(self._staged)
        self.api_keys = FakeApiKeyRepository(self._staged)
        self.parsers = FakeParserRepository(self._staged)
        self.rejections = FakeRejectionRepository(self._staged)
        self.saved_searches = FakeSavedSearchRepository(self._staged)
        self.anomalies = FakeAnomalyRepository(self._staged)
        self.window_features = FakeWindowFeatures(self._staged)
        self._alert_work = _AlertWork(store.alerting.copy())
        self.alert_rules = FakeAlertRuleRepository(self._alert_work)
        self.alert_channels = FakeAlertChannelRepository(self._alert_work)
        self.alert_silences = FakeAlertSilenceRepository(self._alert_work)
        self.alert_history = FakeAlertHistoryRepository(self._alert_work)
        self.commit_order = FakeCommitOrder(self._staged)
        self.users = FakeUserRepository(self._staged)
        self.sessions = FakeUserSessionRepository(self._staged)
        self.audit = FakeAuditLog(self._staged)
        self.acting_as: UUID | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.rollback()

    async def act_as_tenant(self, tenant_id: UUID) -> None:
        self.acting_as = tenant_id

    async def commit(self) -> None:
        if self._store.fail_next_commits:
            self._store.fail_next_commits -= 1
            raise RuntimeError("commit failed")
        s, st = self._store, self._staged
        s.logs.update(st.logs)
        s.claims.update(st.claims)
        s.tasks.update(st.tasks)
        s.tenants.update(st.tenants)
        s.keys.update(st.keys)
        s.alerting = self._alert_work.data
        self._alert_work.data = s.alerting.copy()
        s.commit_order.extend(st.commit_order)
        s.audit.extend(st.audit)
        s.commits += 1
        st.clear()

    async def rollback(self) -> None:
        self._staged.clear()
        self._alert_work.data = self._store.alerting.copy()


class FakeUnitOfWorkFactory(UnitOfWorkFactory):
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class FakePartitions(PartitionMaintainer):
    def __init__(self) -> None:
        self.days: set[date] = set()

    async def ensure_days(self, days: Iterable[date]) -> None:
        self.days.update(days)


def evaluate_pipeline(events: Iterable[LogEvent], query: PipelineQuery) -> PipelineRows:
    """The pipeline in process over the fakes' events (the stream's matcher for the filter)."""
    from datetime import UTC
    from datetime import datetime as dt

    from src.domain.logs import public_view
    from src.domain.querylang.matcher import matches
    from src.domain.querylang.table import event_value

    plan = query.plan
    rows = [e for e in events if query.start <= e.timestamp <= query.end and matches(query.filter, public_view(e))]
    if not plan.aggregating:
        rows.sort(key=lambda e: (e.timestamp, e.id), reverse=True)
        return PipelineRows(events=rows[: query.event_limit])
    groups: dict[tuple[Any, ...], list[LogEvent]] = {}
    for event in rows:
        key: tuple[Any, ...] = ()
        if plan.timeslice_seconds:
            epoch = int(event.timestamp.timestamp())
            key += (dt.fromtimestamp(epoch - epoch % plan.timeslice_seconds, UTC),)
        key += tuple(event_value(event, f) for f in plan.group_by)
        groups.setdefault(key, []).append(event)
    out = []
    for key, members in groups.items():
        row = dict(zip(plan.group_columns, key, strict=True))
        for agg in plan.aggregates:
            if agg.function == "count":
                row[agg.column] = len(members)
            elif agg.function == "count_distinct":
                assert agg.field is not None
                row[agg.column] = len({str(event_value(e, agg.field)) for e in members} - {"None"})
            else:
                assert agg.field is not None
                values = [v for e in members if isinstance(v := event_value(e, agg.field), int | float)]
                pick = {"avg": lambda v: sum(v) / len(v), "min": min, "max": max, "sum": sum}.get(agg.function)
                row[agg.column] = float(pick(values)) if values and pick else None
        out.append(row)
    return PipelineRows(groups=out)


class FakePasswordHasher(PasswordHasher):
    """Reversible on purpose (tests only); counts verifications to check the timing rule."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.verifications = 0

    async def hash(self, password: str) -> str:
        return f"fake{self.version}${password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return password_hash.partition("$")[2] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake{self.version}$")
