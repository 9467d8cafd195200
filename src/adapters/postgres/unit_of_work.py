"""PostgreSQL unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from src.adapters.postgres.alert_channel_repository import PostgresAlertChannelRepository
from src.adapters.postgres.alert_history_repository import PostgresAlertHistoryRepository
from src.adapters.postgres.alert_rule_repository import PostgresAlertRuleRepository
from src.adapters.postgres.alert_silence_repository import PostgresAlertSilenceRepository
from src.adapters.postgres.anomaly_repository import PostgresAnomalyRepository
from src.adapters.postgres.api_key_repository import PostgresApiKeyRepository
from src.adapters.postgres.audit_log import PostgresAuditLog
from src.adapters.postgres.commit_order_repository import PostgresCommitOrder
from src.adapters.postgres.error_group_repository import PostgresErrorGroupRepository
from src.adapters.postgres.errors import lost_database, translate_db_errors
from src.adapters.postgres.log_reader import PostgresLogReader
from src.adapters.postgres.log_repository import PostgresLogRepository
from src.adapters.postgres.parser_repository import PostgresParserRepository
from src.adapters.postgres.pattern_repository import PostgresPatternRepository
from src.adapters.postgres.rejection_repository import PostgresRejectionRepository
from src.adapters.postgres.saved_search_repository import PostgresSavedSearchRepository
from src.adapters.postgres.task_repository import PostgresTaskRepository
from src.adapters.postgres.tenant_repository import PostgresTenantRepository
from src.adapters.postgres.user_repository import PostgresUserRepository
from src.adapters.postgres.user_session_repository import PostgresUserSessionRepository
from src.adapters.postgres.window_features import PostgresWindowFeatures
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

_ACT_AS = text("SELECT set_config('logplane.tenant_id', :tenant_id, true)")


class PostgresUnitOfWork(UnitOfWork):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        async with translate_db_errors():
            self._conn = await self._engine.connect()
            self._tx = await self._conn.begin()
        self.logs = PostgresLogRepository(self._conn)
        self.reader = PostgresLogReader(self._conn)
        self.tasks = PostgresTaskRepository(self._conn)
        self.tenants = PostgresTenantRepository(self._conn)
        self.api_keys = PostgresApiKeyRepository(self._conn)
        self.parsers = PostgresParserRepository(self._conn)
        self.rejections = PostgresRejectionRepository(self._conn)
        self.saved_searches = PostgresSavedSearchRepository(self._conn)
        self.anomalies = PostgresAnomalyRepository(self._conn)
        self.window_features = PostgresWindowFeatures(self._conn)
        self.alert_rules = PostgresAlertRuleRepository(self._conn)
        self.alert_channels = PostgresAlertChannelRepository(self._conn)
        self.alert_silences = PostgresAlertSilenceRepository(self._conn)
        self.alert_history = PostgresAlertHistoryRepository(self._conn)
        self.patterns = PostgresPatternRepository(self._conn)
        self.error_groups = PostgresErrorGroupRepository(self._conn)
        self.commit_order = PostgresCommitOrder(self._conn)
        self.users = PostgresUserRepository(self._conn)
        self.sessions = PostgresUserSessionRepository(self._conn)
        self.audit = PostgresAuditLog(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        lost = lost_database(exc) if exc is not None else None
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        except Exception:
            if lost is None:
                raise
        finally:
            if self._conn is not None:
                # A dead connection cannot be closed cleanly; the pool discards it either way.
                with contextlib.suppress(Exception):
                    await self._conn.close()
            self._conn = self._tx = None
        if lost is not None and exc is not None:
            # Callers (the task runner, the HTTP edge) see an outage, not a driver error.
            raise lost from exc

    async def act_as_tenant(self, tenant_id: UUID) -> None:
        assert self._conn is not None, "use the unit of work inside 'async with'"
        # is_local=true: the setting dies with the transaction, so a pooled connection keeps nothing.
        await self._conn.execute(_ACT_AS, {"tenant_id": str(tenant_id)})

    async def commit(self) -> None:
        assert self._tx is not None, "use the unit of work inside 'async with'"
        async with translate_db_errors():
            await self._tx.commit()

    async def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            await self._tx.rollback()


class PostgresUnitOfWorkFactory(UnitOfWorkFactory):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._engine)
