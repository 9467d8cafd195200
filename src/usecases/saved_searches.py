"""Use cases: a tenant's saved searches (create, list, get, replace, delete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from src.domain.credentials import Principal, Scope
from src.domain.errors import Conflict, InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.saved_search_repository import SavedSearch
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.domain.querylang.language import parse_query
from src.domain.relative_time import parse_time
from src.domain.text import require_storable

MAX_PER_TENANT = 1000
MAX_NAME = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedSearchIn:
    name: str
    query: str
    time_from: str | None = None
    time_to: str | None = None


def _checked(body: SavedSearchIn) -> SavedSearchIn:
    require_storable(body.name, field="name")
    name = body.name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(f"name is 1-{MAX_NAME} characters", details={"field": "name"})
    now = datetime.now(UTC)
    parse_query(body.query, now=now, query_field="query")  # a saved search must run
    for field, value in (("from", body.time_from), ("to", body.time_to)):
        if value is not None:
            parse_time(value, now=now, field=field)  # kept as written: `now-1h` stays relative
    return SavedSearchIn(name=name, query=body.query, time_from=body.time_from, time_to=body.time_to)


class SavedSearches:
    """Rules: `read` scope (a saved search changes no data); the tenant is the principal's and RLS
    holds it; names are unique per tenant (409); the query must parse and the times must be times
    (422); at most MAX_PER_TENANT searches a tenant."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def create(self, *, principal: Principal, body: SavedSearchIn) -> SavedSearch:
        principal.require(Scope.READ)
        body = _checked(body)
        search = _search(principal.tenant_id, new_id(), body)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if await uow.saved_searches.count(tenant_id=principal.tenant_id) >= MAX_PER_TENANT:
                raise InvalidInput(
                    f"a tenant keeps at most {MAX_PER_TENANT} saved searches", code="too_many_saved_searches"
                )
            if not await uow.saved_searches.add(search=search):
                raise Conflict(f"a saved search named {search.name!r} exists", details={"name": search.name})
            stored = await uow.saved_searches.get(tenant_id=principal.tenant_id, search_id=search.id)
            await uow.commit()
        return stored or search

    async def list(self, *, principal: Principal) -> list[SavedSearch]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.saved_searches.list(tenant_id=principal.tenant_id)

    async def get(self, *, principal: Principal, search_id: UUID) -> SavedSearch:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            found = await uow.saved_searches.get(tenant_id=principal.tenant_id, search_id=search_id)
        if found is None:
            raise NotFound("no such saved search", details={"id": str(search_id)})
        return found

    async def replace(self, *, principal: Principal, search_id: UUID, body: SavedSearchIn) -> SavedSearch:
        principal.require(Scope.READ)
        body = _checked(body)
        search = _search(principal.tenant_id, search_id, body)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if await uow.saved_searches.get(tenant_id=principal.tenant_id, search_id=search_id) is None:
                raise NotFound("no such saved search", details={"id": str(search_id)})
            if not await uow.saved_searches.update(search=search):
                raise Conflict(f"a saved search named {search.name!r} exists", details={"name": search.name})
            stored = await uow.saved_searches.get(tenant_id=principal.tenant_id, search_id=search_id)
            await uow.commit()
        return stored or search

    async def delete(self, *, principal: Principal, search_id: UUID) -> None:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if not await uow.saved_searches.delete(tenant_id=principal.tenant_id, search_id=search_id):
                raise NotFound("no such saved search", details={"id": str(search_id)})
            await uow.commit()


def _search(tenant_id: UUID, search_id: UUID, body: SavedSearchIn) -> SavedSearch:
    return SavedSearch(
        tenant_id=tenant_id,
        id=search_id,
        name=body.name,
        query=body.query,
        time_from=body.time_from,
        time_to=body.time_to,
    )
