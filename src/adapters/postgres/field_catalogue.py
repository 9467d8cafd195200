"""Field discovery in PostgreSQL: the top-level columns' non-null counts and every attribute path
(nested objects walked recursively) with its JSON types, over the newest events of the window."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.domain.fields_catalogue import TOP_LEVEL_TYPES, FieldCatalogue, FieldCount

_WINDOW = (
    'SELECT * FROM logs WHERE tenant_id = :t AND "timestamp" >= :start AND "timestamp" <= :end '
    'ORDER BY "timestamp" DESC LIMIT :sample'
)

_COLUMNS = text(
    f"WITH w AS ({_WINDOW}) SELECT count(*), "
    + ", ".join(f"count({name})" for name in TOP_LEVEL_TYPES if name not in ("timestamp", "severity", "message"))
    + " FROM w"
)

_ATTRIBUTES = text(
    f"""
    WITH RECURSIVE w AS ({_WINDOW}),
    walk(path, value) AS (
        SELECT ARRAY[e.key], e.value FROM w, jsonb_each(w.attributes) e
        WHERE jsonb_typeof(w.attributes) = 'object'
        UNION ALL
        SELECT walk.path || e.key, e.value FROM walk, jsonb_each(walk.value) e
        WHERE jsonb_typeof(walk.value) = 'object' AND cardinality(walk.path) < 16
    )
    SELECT array_to_string(path, '.') AS name, jsonb_typeof(value) AS type, count(*) AS n
    FROM walk WHERE jsonb_typeof(value) <> 'object'
    GROUP BY 1, 2 ORDER BY 1, 2
    """
)


async def field_catalogue(
    conn: AsyncConnection, *, tenant_id: UUID, start: datetime, end: datetime, sample: int
) -> FieldCatalogue:
    params = {"t": tenant_id, "start": start, "end": end, "sample": sample}
    counts = (await conn.execute(_COLUMNS, params)).one()
    events = int(counts[0])
    keyword_names = [n for n in TOP_LEVEL_TYPES if n not in ("timestamp", "severity", "message")]
    fields = [FieldCount(name=n, type=TOP_LEVEL_TYPES[n], count=events) for n in ("timestamp", "severity", "message")]
    fields += [
        FieldCount(name=n, type=TOP_LEVEL_TYPES[n], count=int(c))
        for n, c in zip(keyword_names, counts[1:], strict=True)
        if c
    ]
    by_path: dict[str, dict[str, int]] = {}
    for row in await conn.execute(_ATTRIBUTES, params):
        by_path.setdefault(f"attr.{row.name}", {})[row.type] = int(row.n)
    for name, types in by_path.items():
        usual = max(types.items(), key=lambda kv: (kv[1], kv[0]))[0]
        fields.append(FieldCount(name=name, type=usual, count=sum(types.values()), types=types))
    return FieldCatalogue(fields=fields, events=events, sampled=events >= sample)
