"""Use case: a tenant's anomalies, filtered by time, service and score."""

from __future__ import annotations

from src.domain.anomalies.anomaly import Anomaly, AnomalyFilter
from src.domain.credentials import Principal, Scope
from src.domain.errors import InvalidInput
from src.domain.ports.unit_of_work import UnitOfWorkFactory

MAX_LIMIT = 1000


class ListAnomalies:
    """Rules: `read` scope; the tenant is the principal's (RLS holds it too); `from` ≤ `to`;
    `min_score` in [0, 1]; at most MAX_LIMIT rows; newest window first."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, *, principal: Principal, where: AnomalyFilter) -> list[Anomaly]:
        principal.require(Scope.READ)
        if where.start and where.end and where.start > where.end:
            raise InvalidInput("'from' is after 'to'", details={"field": "from"})
        if not 0.0 <= where.min_score <= 1.0:
            raise InvalidInput("min_score is between 0 and 1", details={"field": "min_score"})
        if not 1 <= where.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is 1-{MAX_LIMIT}", details={"field": "limit"})
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.anomalies.list(tenant_id=principal.tenant_id, where=where)
