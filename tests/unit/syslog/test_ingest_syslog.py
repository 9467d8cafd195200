"""IngestSyslog against fakes of the ports: which credential wins, what is refused, what is stored."""

from __future__ import annotations

from uuid import UUID

import pytest

from src.adapters.auth.jose_token_codec import JoseTokenCodec
from src.domain.credentials import Scope
from src.domain.event_limits import EventLimits
from src.domain.ports.syslog_metrics import SyslogMetrics
from src.domain.tenants import Tenant
from src.usecases.auth_cache import KeyCache, TtlCache
from src.usecases.authenticate import Authenticate
from src.usecases.create_tenant import CreateTenant, CreateTenantRequest
from src.usecases.group_commit import GroupCommitWriter
from src.usecases.ingest_logs import IngestLogs
from src.usecases.ingest_syslog import IngestSyslog, SyslogMessage
from src.usecases.manage_api_keys import CreateApiKey, CreateApiKeyRequest
from tests.fakes import FakePartitions, FakeUnitOfWorkFactory


class CountingMetrics(SyslogMetrics):
    def __init__(self) -> None:
        self.refusals: dict[str, int] = {}

    def received(self, *, transport: str, messages: int) -> None:
        return None

    def dropped(self, *, transport: str, reason: str, messages: int) -> None:
        return None

    def refused(self, *, reason: str, messages: int) -> None:
        self.refusals[reason] = self.refusals.get(reason, 0) + messages

    def queued(self, *, depth: int) -> None:
        return None


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def metrics() -> CountingMetrics:
    return CountingMetrics()


@pytest.fixture
def use_case(uow: FakeUnitOfWorkFactory, metrics: CountingMetrics) -> IngestSyslog:
    codec = JoseTokenCodec(issuer="logplane", audience="logplane-api", secret="unit-test-secret-" + "z" * 40)
    keys: KeyCache = TtlCache(ttl=60)
    tenants: TtlCache[UUID, Tenant | None] = TtlCache(ttl=60)
    authenticate = Authenticate(uow, codec, keys=keys, tenants=tenants)
    ingest = IngestLogs(GroupCommitWriter(uow, FakePartitions()), limits=EventLimits())
    return IngestSyslog(authenticate, ingest, metrics=metrics, events_per_second=1000, burst=1000)


def _msg(text: str, credential: str | None = None) -> SyslogMessage:
    return SyslogMessage(text=text, transport="tcp", credential=credential)


async def test_the_token_wins_over_the_listener_credential_and_is_not_stored(
    use_case: IngestSyslog, uow: FakeUnitOfWorkFactory, metrics: CountingMetrics
) -> None:
    create = CreateTenant(uow, default_retention_days=30)
    port_tenant = await create.execute(CreateTenantRequest(name="port"))
    token_tenant = await create.execute(CreateTenantRequest(name="token"))
    result = await use_case.execute(
        [
            _msg(f'<14>1 - h app - - [logplane@32473 token="{token_tenant.api_key}"] by token', port_tenant.api_key),
            _msg("<14>1 - h app - - - by port", port_tenant.api_key),
            _msg("<14>Jan  2 03:04:05 h app: bsd by port", port_tenant.api_key),
        ]
    )
    assert (result.stored, result.refused) == (3, 0)
    stored = {e.message: e for e in uow.store.logs.values()}
    assert stored["by token"].tenant_id == token_tenant.tenant.id
    assert stored["by port"].tenant_id == stored["bsd by port"].tenant_id == port_tenant.tenant.id
    assert token_tenant.api_key not in repr(stored["by token"])


async def test_no_credential_a_wrong_one_or_one_without_ingest_scope_is_refused(
    use_case: IngestSyslog, uow: FakeUnitOfWorkFactory, metrics: CountingMetrics
) -> None:
    created = await CreateTenant(uow, default_retention_days=30).execute(CreateTenantRequest(name="acme"))
    reader = await CreateApiKey(uow).execute(
        CreateApiKeyRequest(tenant_id=created.tenant.id, name="read", scopes=frozenset({Scope.READ}))
    )
    result = await use_case.execute(
        [
            _msg("<14>1 - h app - - - nobody"),
            _msg('<14>1 - h app - - [logplane@32473 token="lp_wrong"] wrong', created.api_key),
            _msg('<14>1 - h app - - [logplane@32473 token="lp_wrong"] wrong again'),
            _msg("<14>1 - h app - - - reader", reader.secret),
        ]
    )
    assert (result.stored, result.refused) == (0, 4)
    assert metrics.refusals == {"missing_credential": 1, "invalid_api_key": 2, "missing_scope": 1}
    assert uow.store.logs == {}
