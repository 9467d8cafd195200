"""The tenant's commit order in PostgreSQL: one `log_commits` row per group commit (not per event).

`record` takes a per-tenant transaction-scoped advisory lock, then the next value of the identity:
the lock is held until the transaction ends (after its commit is visible), so a later writer of the
same tenant draws a higher number only after this one committed — sequence order is commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.adapters.postgres.rows import as_uuid, log_from_row
from src.domain.commit_order import CommitPosition, CommitSpan, CommittedPage
from src.domain.ports.commit_order import CommitOrder

# One round trip: the lock, then the row (MATERIALIZED keeps the lock ahead of the identity's nextval).
_RECORD = text(
    """
    WITH locked AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(hashtext('logplane_commit_order'), hashtext(CAST(:t AS text))) AS ok
    )
    INSERT INTO log_commits (tenant_id, min_id, max_id, log_ids)
    SELECT CAST(:t AS uuid), CAST(:min_id AS uuid), CAST(:max_id AS uuid), CAST(:ids AS uuid[]) FROM locked
    """
)

# Through `log_commits_max_id`; the lowest id as well, so that a span never names another commit.
_LOG_IDS = text(
    """
    SELECT log_ids FROM log_commits
    WHERE tenant_id = :t AND max_id = CAST(:max_id AS uuid) AND min_id = CAST(:min_id AS uuid)
    """
)

# Groups are found by their highest id (an index scan from the event's id upward); ids are drawn at
# most seconds before their commit, so the search stops at `ceiling` rather than at the table's end.
_POSITION = text(
    """
    SELECT seq, array_position(log_ids, CAST(:id AS uuid)) AS idx FROM log_commits
    WHERE tenant_id = :t AND max_id >= CAST(:id AS uuid) AND max_id <= CAST(:ceiling AS uuid)
      AND min_id <= CAST(:id AS uuid) AND log_ids @> ARRAY[CAST(:id AS uuid)]
    ORDER BY max_id LIMIT 1
    """
)

_AFTER = text(
    """
    WITH entries AS (
        SELECT c.seq, u.idx, u.id FROM log_commits c
        CROSS JOIN LATERAL unnest(c.log_ids) WITH ORDINALITY AS u(id, idx)
        WHERE c.tenant_id = :t AND c.seq >= :seq AND (c.seq > :seq OR u.idx > :idx)
        ORDER BY c.seq, u.idx
        LIMIT :limit
    )
    SELECT e.seq AS commit_seq, e.idx AS commit_idx, l.id, l.tenant_id, l."timestamp", l.received_at,
           l.severity, l.service, l.message, l.host, l.user_id, l.action, l.trace_id, l.span_id,
           l.attributes, l.client_id
    FROM entries e LEFT JOIN logs l ON l.tenant_id = :t AND l.id = e.id
    ORDER BY e.seq, e.idx
    """
)

# How long after its id was drawn an event may still commit, at most (a request's lifetime is far less).
_LATEST_COMMIT = timedelta(minutes=10)


def _ceiling(log_id: UUID) -> UUID:
    """The highest UUIDv7 drawn within `_LATEST_COMMIT` of `log_id` (or any id, if it is not v7)."""
    if log_id.version != 7:
        return UUID(int=(1 << 128) - 1)
    millis = (log_id.int >> 80) + int(_LATEST_COMMIT.total_seconds() * 1000)
    return UUID(int=(min(millis, (1 << 48) - 1) << 80) | ((1 << 80) - 1))


class PostgresCommitOrder(CommitOrder):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, *, tenant_id: UUID, log_ids: Sequence[UUID], span: CommitSpan | None = None) -> None:
        if not log_ids:
            return
        span = span or CommitSpan.of(log_ids)
        await self._conn.execute(
            _RECORD, {"t": str(tenant_id), "min_id": span.lowest, "max_id": span.highest, "ids": list(log_ids)}
        )

    async def log_ids(self, *, tenant_id: UUID, span: CommitSpan) -> list[UUID] | None:
        row = (
            await self._conn.execute(_LOG_IDS, {"t": tenant_id, "min_id": span.lowest, "max_id": span.highest})
        ).first()
        return None if row is None else [as_uuid(i) for i in row.log_ids]

    async def position(self, *, tenant_id: UUID, log_id: UUID) -> CommitPosition | None:
        row = (await self._conn.execute(_POSITION, {"t": tenant_id, "id": log_id, "ceiling": _ceiling(log_id)})).first()
        return None if row is None else CommitPosition(seq=int(row.seq), index=int(row.idx))

    async def events_after(self, *, tenant_id: UUID, after: CommitPosition, limit: int) -> CommittedPage:
        rows = (
            (await self._conn.execute(_AFTER, {"t": tenant_id, "seq": after.seq, "idx": after.index, "limit": limit}))
            .mappings()
            .all()
        )
        if not rows:
            return CommittedPage(events=[], last=None)
        last = rows[-1]
        return CommittedPage(
            events=[log_from_row(r) for r in rows if r["id"] is not None],
            last=CommitPosition(seq=int(last["commit_seq"]), index=int(last["commit_idx"])),
        )
