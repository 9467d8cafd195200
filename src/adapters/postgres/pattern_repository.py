"""Patterns in PostgreSQL: `patterns`, `pattern_miners`, `pattern_counts` and `logs.pattern_id` (RLS on all)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid
from src.domain.logs import LogEvent
from src.domain.patterns.pattern import Pattern
from src.domain.patterns.records import MAX_SAMPLES, MinuteCount, PatternChange, PatternFilter, PatternSummary
from src.domain.ports.pattern_repository import PatternRepository

_SAVE = text(
    f"""
    INSERT INTO patterns AS p (tenant_id, id, service, template, mined_count, aliases, first_seen, last_seen,
                               sample_event_ids)
    SELECT :t, r.id, :service, r.template, r.mined_count, r.aliases, r.first_seen, r.last_seen, r.samples
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id text, template text, mined_count bigint, aliases text[],
                                                       first_seen timestamptz, last_seen timestamptz, samples uuid[])
    ON CONFLICT (tenant_id, id) DO UPDATE SET
        template = excluded.template,
        mined_count = excluded.mined_count,
        aliases = excluded.aliases,
        merged_into = NULL,
        first_seen = least(p.first_seen, excluded.first_seen),
        last_seen = greatest(p.last_seen, excluded.last_seen),
        sample_event_ids = CASE WHEN cardinality(p.sample_event_ids) >= {MAX_SAMPLES} THEN p.sample_event_ids
                                ELSE (p.sample_event_ids || excluded.sample_event_ids)[1:{MAX_SAMPLES}] END,
        updated_at = now()
    """
)
_MERGED = text(
    """
    UPDATE patterns AS p SET merged_into = m.survivor, updated_at = now()
    FROM (SELECT r.id AS survivor, unnest(r.aliases) AS alias
          FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id text, aliases text[])) AS m
    WHERE p.tenant_id = :t AND p.id = m.alias AND p.id <> m.survivor AND p.merged_into IS DISTINCT FROM m.survivor
    """
)
_SUMMARY_COLUMNS = (
    "p.id, p.service, p.template, p.aliases, p.merged_into, p.first_seen, p.last_seen, p.created_at, p.sample_event_ids"
)
# Counts in range per surviving pattern: an alias's minutes count for the pattern it was merged into.
_IN_RANGE = """
    SELECT coalesce(m.merged_into, m.id) AS root, sum(c.total) AS total, sum(c.errors) AS errors
    FROM pattern_counts c JOIN patterns m ON m.tenant_id = c.tenant_id AND m.id = c.pattern_id
    WHERE c.tenant_id = :t AND c.minute >= date_trunc('minute', CAST(:start AS timestamptz)) AND c.minute <= :end
"""


def _summary(row: Any, total: int, errors: int) -> PatternSummary:
    return PatternSummary(
        id=row.id,
        service=row.service,
        template=row.template,
        aliases=tuple(row.aliases),
        merged_into=row.merged_into,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        created_at=row.created_at,
        sample_event_ids=tuple(as_uuid(i) for i in row.sample_event_ids),
        count=int(total or 0),
        errors=int(errors or 0),
    )


def _range(events: Sequence[LogEvent]) -> dict[str, Any]:
    # The time bounds let PostgreSQL prune partitions; the ids pick the rows.
    return {
        "ids": [e.id for e in events],
        "lo": min(e.timestamp for e in events),
        "hi": max(e.timestamp for e in events),
    }


class PostgresPatternRepository(PatternRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_miner(self, *, tenant_id: UUID, service: str) -> int:
        # Two int4 keys: a keyspace apart from the one-bigint leader locks. A hash collision only
        # serialises two services' mining, it never mixes their state.
        await self._conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:tk), hashtext(:service))"),
            {"tk": f"patterns:{tenant_id}", "service": service},
        )
        await self._conn.execute(
            text("INSERT INTO pattern_miners (tenant_id, service) VALUES (:t, :service) ON CONFLICT DO NOTHING"),
            {"t": tenant_id, "service": service},
        )
        result = await self._conn.execute(
            text("SELECT revision FROM pattern_miners WHERE tenant_id = :t AND service = :service"),
            {"t": tenant_id, "service": service},
        )
        return int(result.scalar_one())

    async def set_revision(self, *, tenant_id: UUID, service: str, revision: int) -> None:
        await self._conn.execute(
            text(
                "UPDATE pattern_miners SET revision = :revision, updated_at = now() "
                "WHERE tenant_id = :t AND service = :service"
            ),
            {"t": tenant_id, "service": service, "revision": revision},
        )

    async def load(self, *, tenant_id: UUID, service: str, limit: int) -> list[Pattern]:
        result = await self._conn.execute(
            text(
                "SELECT id, template, mined_count, aliases FROM patterns WHERE tenant_id = :t AND service = :service "
                "AND merged_into IS NULL ORDER BY last_seen DESC, id LIMIT :limit"
            ),
            {"t": tenant_id, "service": service, "limit": limit},
        )
        rows = list(result)
        rows.reverse()  # least recently seen first: the miner's eviction order
        return [
            Pattern(id=r.id, tokens=r.template.split(" "), count=int(r.mined_count), aliases=list(r.aliases))
            for r in rows
        ]

    async def current(self, *, tenant_id: UUID, events: Sequence[LogEvent]) -> dict[UUID, str | None]:
        if not events:
            return {}
        result = await self._conn.execute(
            text(
                'SELECT id, pattern_id FROM logs WHERE tenant_id = :t AND "timestamp" BETWEEN :lo AND :hi '
                "AND id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"t": tenant_id, **_range(events)},
        )
        return {as_uuid(r.id): r.pattern_id for r in result}

    async def assign(self, *, tenant_id: UUID, events: Sequence[LogEvent]) -> None:
        if not events:
            return
        await self._conn.execute(
            text(
                "UPDATE logs SET pattern_id = r.pattern_id "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:pids AS text[])) AS r(id, pattern_id) "
                'WHERE logs.tenant_id = :t AND logs."timestamp" BETWEEN :lo AND :hi AND logs.id = r.id '
                "AND logs.pattern_id IS NULL"
            ),
            {"t": tenant_id, "pids": [e.pattern_id for e in events], **_range(events)},
        )

    async def save(self, *, tenant_id: UUID, service: str, changes: Sequence[PatternChange]) -> None:
        if not changes:
            return
        rows = orjson.dumps(
            [
                {
                    "id": c.id,
                    "template": c.template,
                    "mined_count": c.mined_count,
                    "aliases": list(c.aliases),
                    "first_seen": c.first_seen.isoformat(),
                    "last_seen": c.last_seen.isoformat(),
                    "samples": [str(i) for i in c.sample_event_ids[:MAX_SAMPLES]],
                }
                for c in changes
            ]
        ).decode()
        await self._conn.execute(_SAVE, {"t": tenant_id, "service": service, "rows": rows})
        merged = [{"id": c.id, "aliases": list(c.aliases)} for c in changes if c.aliases]
        if merged:
            await self._conn.execute(_MERGED, {"t": tenant_id, "rows": orjson.dumps(merged).decode()})

    async def add_counts(self, *, tenant_id: UUID, service: str, counts: Sequence[MinuteCount]) -> None:
        if not counts:
            return
        await self._conn.execute(
            text(
                "INSERT INTO pattern_counts AS c (tenant_id, pattern_id, service, minute, total, errors) "
                "SELECT :t, r.pattern_id, :service, r.minute, r.total, r.errors FROM unnest("
                "CAST(:pids AS text[]), CAST(:minutes AS timestamptz[]), CAST(:totals AS bigint[]), "
                "CAST(:errors AS bigint[])) AS r(pattern_id, minute, total, errors) "
                "ON CONFLICT (tenant_id, pattern_id, minute) DO UPDATE SET "
                "total = c.total + excluded.total, errors = c.errors + excluded.errors"
            ),
            {
                "t": tenant_id,
                "service": service,
                "pids": [c.pattern_id for c in counts],
                "minutes": [c.minute for c in counts],
                "totals": [c.total for c in counts],
                "errors": [c.errors for c in counts],
            },
        )

    async def search(self, *, tenant_id: UUID, where: PatternFilter) -> list[PatternSummary]:
        clauses = ["p.tenant_id = :t"]
        params: dict[str, Any] = {"t": tenant_id, "start": where.start, "end": where.end, "limit": where.limit}
        if where.service is not None:
            clauses.append("p.service = :service")
            params["service"] = where.service
        if where.text:
            clauses.append("strpos(lower(p.template), lower(:text)) > 0")
            params["text"] = where.text
        if where.new_since is not None:
            clauses.append("p.first_seen >= :new_since")
            params["new_since"] = where.new_since
        result = await self._conn.execute(
            text(
                f"WITH counted AS ({_IN_RANGE} GROUP BY root) "
                f"SELECT {_SUMMARY_COLUMNS}, counted.total, counted.errors FROM counted "
                "JOIN patterns p ON p.tenant_id = :t AND p.id = counted.root "
                f"WHERE {' AND '.join(clauses)} ORDER BY counted.total DESC, p.id LIMIT :limit"
            ),
            params,
        )
        return [_summary(r, r.total, r.errors) for r in result]

    async def get(self, *, tenant_id: UUID, pattern_id: str, start: datetime, end: datetime) -> PatternSummary | None:
        found = await self._conn.execute(
            text("SELECT coalesce(merged_into, id) FROM patterns WHERE tenant_id = :t AND id = :id"),
            {"t": tenant_id, "id": pattern_id},
        )
        root = found.scalar_one_or_none()
        if root is None:
            return None
        result = await self._conn.execute(
            text(
                f"WITH counted AS ({_IN_RANGE} AND coalesce(m.merged_into, m.id) = :root GROUP BY root) "
                f"SELECT {_SUMMARY_COLUMNS}, counted.total, counted.errors FROM patterns p "
                "LEFT JOIN counted ON counted.root = p.id WHERE p.tenant_id = :t AND p.id = :root"
            ),
            {"t": tenant_id, "root": root, "start": start, "end": end},
        )
        row = result.first()
        return _summary(row, row.total, row.errors) if row else None

    async def members(self, *, tenant_id: UUID, pattern_id: str) -> list[str]:
        result = await self._conn.execute(
            text(
                "WITH root AS (SELECT coalesce(merged_into, id) AS id FROM patterns WHERE tenant_id = :t AND id = :id) "
                "SELECT p.id FROM patterns p, root WHERE p.tenant_id = :t AND (p.id = root.id OR p.merged_into = root.id) "
                "ORDER BY p.id"
            ),
            {"t": tenant_id, "id": pattern_id},
        )
        return [r.id for r in result]

    async def series(
        self, *, tenant_id: UUID, pattern_ids: Sequence[str], start: datetime, end: datetime, interval_seconds: int
    ) -> dict[str, list[tuple[datetime, int]]]:
        if not pattern_ids:
            return {}
        result = await self._conn.execute(
            text(
                "SELECT coalesce(m.merged_into, m.id) AS root, "
                "date_bin(make_interval(secs => :interval), c.minute, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket, "
                "sum(c.total) AS total FROM pattern_counts c "
                "JOIN patterns m ON m.tenant_id = c.tenant_id AND m.id = c.pattern_id "
                "WHERE c.tenant_id = :t AND c.minute >= date_trunc('minute', CAST(:start AS timestamptz)) "
                "AND c.minute <= :end AND coalesce(m.merged_into, m.id) = ANY(CAST(:ids AS text[])) "
                "GROUP BY root, bucket ORDER BY root, bucket"
            ),
            {"t": tenant_id, "ids": list(pattern_ids), "start": start, "end": end, "interval": interval_seconds},
        )
        out: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for r in result:
            out[r.root].append((r.bucket.astimezone(UTC), int(r.total)))
        return dict(out)
