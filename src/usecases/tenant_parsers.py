"""Use cases: a tenant's own regex parsers, and the parser registry each tenant's ingest uses."""

from __future__ import annotations

import re
from uuid import UUID

from src.domain.credentials import Principal, Scope
from src.domain.errors import Conflict, InvalidInput, NotFound
from src.domain.parsing.regex_parser import compile_custom
from src.domain.parsing.registry import BUILTIN_ORDER, ParserRegistry
from src.domain.ports.parser_repository import StoredParser
from src.domain.ports.unit_of_work import UnitOfWorkFactory
from src.usecases.auth_cache import TtlCache

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
MAX_PARSERS = 50


class TenantParsers:
    """Rules: `admin` scope to change; names are slugs that do not shadow a built-in parser; a
    pattern is checked (RE2: linear time, no catastrophic backtracking) before it is stored; at
    most MAX_PARSERS a tenant; the registry for a tenant is cached briefly and refreshed on change
    in this process."""

    def __init__(self, uow_factory: UnitOfWorkFactory, *, cache_seconds: float = 5.0) -> None:
        self._uow_factory = uow_factory
        self._cache: TtlCache[UUID, ParserRegistry] = TtlCache(ttl=cache_seconds)

    async def registry(self, tenant_id: UUID) -> ParserRegistry:
        cached = self._cache.get(tenant_id)
        if cached is not None:
            return cached
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            stored = await uow.parsers.list(tenant_id=tenant_id)
        registry = ParserRegistry(custom=[compile_custom(p.name, p.pattern) for p in stored])
        self._cache.put(tenant_id, registry)
        return registry

    async def put(self, *, principal: Principal, name: str, pattern: str) -> StoredParser:
        principal.require(Scope.EDIT)  # `admin` implies it: keys keep what they could do
        if not _NAME.match(name):
            raise InvalidInput("parser names are 1-63 characters of a-z, 0-9, '-', '_'", details={"field": "name"})
        if name in BUILTIN_ORDER or name == "raw":
            raise Conflict(f"{name!r} is a built-in parser", code="parser_name_taken")
        compile_custom(name, pattern)  # refuses bad or unsupported patterns with a clear message
        parser = StoredParser(tenant_id=principal.tenant_id, name=name, pattern=pattern)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            existing = await uow.parsers.list(tenant_id=principal.tenant_id)
            if len(existing) >= MAX_PARSERS and name not in {p.name for p in existing}:
                raise InvalidInput(f"a tenant may register at most {MAX_PARSERS} parsers", code="too_many_parsers")
            await uow.parsers.put(parser=parser)
            await uow.commit()
        self._cache.forget(lambda key, _: key == principal.tenant_id)
        return parser

    async def list(self, *, principal: Principal) -> list[StoredParser]:
        principal.require(Scope.READ)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            return await uow.parsers.list(tenant_id=principal.tenant_id)

    async def delete(self, *, principal: Principal, name: str) -> None:
        principal.require(Scope.EDIT)
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(principal.tenant_id)
            if not await uow.parsers.delete(tenant_id=principal.tenant_id, name=name):
                raise NotFound("no such parser", details={"name": name})
            await uow.commit()
        self._cache.forget(lambda key, _: key == principal.tenant_id)
