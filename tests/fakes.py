"""In-memory fakes of the ports, for unit tests of use cases (no database, no network)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from src.domain.credentials import ApiKey
from src.domain.errors import Conflict
from src.domain.logs import LogEvent
from src.domain.ports.api_key_repository import ApiKeyRepository
from src.domain.ports.log_repository import IdempotencyClaim, LogRepository
from src.domain.ports.partition_maintainer import PartitionMaintainer
from src.domain.ports.task_repository import TaskRepository
from src.domain.ports.tenant_repository import TenantRepository
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.domain.tenants import Tenant


class Store:
    """What a database would hold; fakes stage writes and apply them on commit."""

    def __init__(self) -> None:
        self.logs: dict[UUID, LogEvent] = {}
        self.claims: dict[tuple[UUID, str], IdempotencyClaim] = {}
        self.tasks: dict[UUID, AsyncTask] = {}
        self.tenants: dict[UUID, Tenant] = {}
        self.keys: dict[UUID, ApiKey] = {}
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

    async def list(self, *, tenant_id: UUID) -> list[ApiKey]:
        return [k for k in self._s.store.keys.values() if k.tenant_id == tenant_id]

    async def revoke(self, *, tenant_id: UUID, key_id: UUID, at: datetime) -> bool:
        key = self._s.store.keys.get(key_id)
        if key is None or key.tenant_id != tenant_id or key.is_revoked:
            return False
        self._s.keys[key_id] = replace(key, revoked_at=at)
        return True


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: Store) -> None:
        self._store = store
        self._staged = _Staged(store)
        self.logs = FakeLogRepository(self._staged)
        self.tasks = FakeTaskRepository(self._staged)
        self.tenants = FakeTenantRepository(self._staged)
        self.api_keys = FakeApiKeyRepository(self._staged)
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
        s.commits += 1
        st.clear()

    async def rollback(self) -> None:
        self._staged.clear()


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
