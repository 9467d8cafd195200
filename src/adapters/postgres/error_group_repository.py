"""Error groups in PostgreSQL (`error_groups`, RLS; the tenant predicate is in every statement too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.error_groups.group import (
    MAX_HOSTS,
    ErrorGroup,
    ErrorGroupFilter,
    ErrorOccurrences,
    ErrorStatus,
)
from src.domain.patterns.records import MAX_SAMPLES
from src.domain.ports.error_group_repository import ErrorGroupRepository

# A resolved group re-opens when an event newer than its resolution arrives; ignored stays ignored.
_RECURS = "(g.status = 'resolved' AND excluded.last_seen > g.resolved_at)"
_RECORD = text(
    f"""
    INSERT INTO error_groups AS g (tenant_id, id, service, fingerprint, kind, exception_type, title, frames,
                                   pattern_id, count, first_seen, last_seen, hosts, sample_event_ids)
    SELECT :t, r.id, :service, r.fingerprint, r.kind, r.exception_type, r.title, r.frames, r.pattern_id, r.count,
           r.first_seen, r.last_seen, r.hosts[1:{MAX_HOSTS}], r.samples[1:{MAX_SAMPLES}]
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        id text, fingerprint text, kind text, exception_type text, title text, frames text[], pattern_id text,
        count bigint, first_seen timestamptz, last_seen timestamptz, hosts text[], samples uuid[])
    ON CONFLICT (tenant_id, id) DO UPDATE SET
        count = g.count + excluded.count,
        first_seen = least(g.first_seen, excluded.first_seen),
        last_seen = greatest(g.last_seen, excluded.last_seen),
        hosts = CASE WHEN cardinality(g.hosts) >= {MAX_HOSTS} THEN g.hosts
                     ELSE ARRAY(SELECT h FROM (SELECT DISTINCT ON (h) h, o FROM unnest(g.hosts || excluded.hosts)
                                WITH ORDINALITY AS u(h, o) ORDER BY h, o) d ORDER BY o LIMIT {MAX_HOSTS}) END,
        sample_event_ids = CASE WHEN cardinality(g.sample_event_ids) >= {MAX_SAMPLES} THEN g.sample_event_ids
                                ELSE (g.sample_event_ids || excluded.sample_event_ids)[1:{MAX_SAMPLES}] END,
        status = CASE WHEN {_RECURS} THEN 'open' ELSE g.status END,
        status_changed_at = CASE WHEN {_RECURS} THEN now() ELSE g.status_changed_at END,
        reopened_count = g.reopened_count + CASE WHEN {_RECURS} THEN 1 ELSE 0 END,
        updated_at = now()
    """
)
_COLUMNS = (
    "id, service, kind, exception_type, title, frames, pattern_id, count, first_seen, last_seen, hosts, "
    "sample_event_ids, status, status_changed_at, resolved_at, reopened_count, created_at"
)


def _group(row: Any) -> ErrorGroup:
    return ErrorGroup(
        id=row.id,
        service=row.service,
        kind=row.kind,
        exception_type=row.exception_type,
        title=row.title,
        frames=tuple(row.frames),
        pattern_id=row.pattern_id,
        count=int(row.count),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        hosts=tuple(row.hosts),
        sample_event_ids=tuple(as_uuid(i) for i in row.sample_event_ids),
        status=ErrorStatus(row.status),
        status_changed_at=row.status_changed_at,
        resolved_at=row.resolved_at,
        reopened_count=int(row.reopened_count),
        created_at=row.created_at,
    )


class PostgresErrorGroupRepository(ErrorGroupRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, *, tenant_id: UUID, service: str, occurrences: Sequence[ErrorOccurrences]) -> None:
        if not occurrences:
            return
        rows = [
            {
                "id": o.id,
                "fingerprint": o.fingerprint,
                "kind": o.kind,
                "exception_type": o.exception_type,
                "title": o.title,
                "frames": list(o.frames),
                "pattern_id": o.pattern_id,
                "count": o.count,
                "first_seen": o.first_seen.isoformat(),
                "last_seen": o.last_seen.isoformat(),
                "hosts": list(o.hosts),
                "samples": [str(i) for i in o.sample_event_ids],
            }
            for o in occurrences
        ]
        await self._conn.execute(_RECORD, {"t": tenant_id, "service": service, "rows": orjson.dumps(rows).decode()})

    async def search(self, *, tenant_id: UUID, where: ErrorGroupFilter) -> list[ErrorGroup]:
        clauses = ["tenant_id = :t", "last_seen >= :start", "first_seen <= :end"]
        params: dict[str, Any] = {"t": tenant_id, "start": where.start, "end": where.end, "limit": where.limit}
        if where.service is not None:
            clauses.append("service = :service")
            params["service"] = where.service
        if where.status is not None:
            clauses.append("status = :status")
            params["status"] = where.status.value
        result = await self._conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM error_groups WHERE {' AND '.join(clauses)} "
                "ORDER BY last_seen DESC, id LIMIT :limit"
            ),
            params,
        )
        return [_group(r) for r in result]

    async def get(self, *, tenant_id: UUID, group_id: str) -> ErrorGroup | None:
        result = await self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM error_groups WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": group_id},
        )
        row = result.first()
        return _group(row) if row else None

    async def set_status(self, *, tenant_id: UUID, group_id: str, status: ErrorStatus) -> ErrorGroup | None:
        result = await self._conn.execute(
            text(
                "UPDATE error_groups SET status = :status, updated_at = now(), "
                "status_changed_at = CASE WHEN status = :status THEN status_changed_at ELSE now() END, "
                "resolved_at = CASE WHEN :status = 'resolved' THEN now() ELSE resolved_at END "
                f"WHERE tenant_id = :t AND id = :id RETURNING {_COLUMNS}"
            ),
            {"t": tenant_id, "id": group_id, "status": status.value},
        )
        row = result.first()
        return _group(row) if row else None
