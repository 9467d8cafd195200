"""Port: one transaction with the repositories that work inside it.

Leaving the `async with` block rolls back unless `commit()` was called; only use cases commit.
"""

from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from src.domain.ports.alert_channel_repository import AlertChannelRepository
from src.domain.ports.alert_history_repository import AlertHistoryRepository
from src.domain.ports.alert_rule_repository import AlertRuleRepository
from src.domain.ports.alert_silence_repository import AlertSilenceRepository
from src.domain.ports.anomaly_repository import AnomalyRepository
from src.domain.ports.api_key_repository import ApiKeyRepository
from src.domain.ports.audit_log import AuditLog
from src.domain.ports.commit_order import CommitOrder
from src.domain.ports.error_group_repository import ErrorGroupRepository
from src.domain.ports.log_reader import LogReader
from src.domain.ports.log_repository import LogRepository
from src.domain.ports.parser_repository import ParserRepository
from src.domain.ports.pattern_repository import PatternRepository
from src.domain.ports.rejection_repository import RejectionRepository
from src.domain.ports.saved_search_repository import SavedSearchRepository
from src.domain.ports.task_repository import TaskRepository
from src.domain.ports.tenant_repository import TenantRepository
from src.domain.ports.user_repository import UserRepository
from src.domain.ports.user_session_repository import UserSessionRepository
from src.domain.ports.window_feature_source import WindowFeatureSource


class UnitOfWork(Protocol):
    logs: LogRepository
    reader: LogReader
    tasks: TaskRepository
    tenants: TenantRepository
    api_keys: ApiKeyRepository
    parsers: ParserRepository
    rejections: RejectionRepository
    saved_searches: SavedSearchRepository
    anomalies: AnomalyRepository
    window_features: WindowFeatureSource
    alert_rules: AlertRuleRepository
    alert_channels: AlertChannelRepository
    alert_silences: AlertSilenceRepository
    alert_history: AlertHistoryRepository
    patterns: PatternRepository
    error_groups: ErrorGroupRepository
    commit_order: CommitOrder
    users: UserRepository
    sessions: UserSessionRepository
    audit: AuditLog

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    @abstractmethod
    async def act_as_tenant(self, tenant_id: UUID) -> None:
        """Scope what follows in this transaction to one tenant (row-level security in PostgreSQL)."""

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    @abstractmethod
    def __call__(self) -> UnitOfWork: ...
