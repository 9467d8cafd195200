"""Window features from PostgreSQL: volume and errors from `logs`, new patterns from `patterns`
(first seen, in event time, in the window), per-pattern counts from `pattern_counts`, under the
tenant's row-level security."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy import text

from src.adapters.postgres.engine import make_app_engine
from src.adapters.postgres.window_features import PostgresWindowFeatures
from src.domain.anomalies.features import PATTERN_PREFIX, TOP_PATTERNS_PER_WINDOW, pattern_feature
from tests.conftest import create_tenant
from tests.integration.api.conftest import plain_url

MIN = timedelta(minutes=1)


async def _features_by_minute(
    postgres_url: str, tenant_id: str, start: datetime, *, minutes: int
) -> dict[int, Mapping[str, float]]:
    """The tenant's window features of `minutes` 1-minute windows from `start`, read as the app role."""
    engine = make_app_engine(postgres_url)
    try:
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text("SELECT set_config('logplane.tenant_id', :t, true)"), {"t": tenant_id})
            windows = await PostgresWindowFeatures(conn).extract(
                tenant_id=uuid.UUID(tenant_id), start=start, end=start + minutes * MIN, window=MIN
            )
    finally:
        await engine.dispose()
    return {int((w.start - start) / MIN): w.values for w in windows}


async def test_new_patterns_are_a_feature_of_the_window_they_first_appear_in(
    app_client: httpx.AsyncClient, postgres_url: str
) -> None:
    tenant, other = await create_tenant(app_client), await create_tenant(app_client)
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    events = [
        {
            "timestamp": (start + m * MIN + timedelta(seconds=5)).isoformat(),
            "message": "m",
            "service": "svc",
            "severity": "error" if m == 1 else "info",
        }
        for m in range(3)
    ]
    for who in (tenant, other):
        response = await app_client.post("/api/v1/logs/bulk", json=events, headers=who.headers)
        assert response.status_code == 201, response.text
    owner = await asyncpg.connect(plain_url(postgres_url))
    try:
        for who, minute in ((tenant, 2), (other, 0)):
            await owner.execute(
                "INSERT INTO patterns (tenant_id, id, service, template, first_seen, last_seen) "
                "VALUES ($1, $2, 'svc', 'm', $3, $3)",
                uuid.UUID(who.id),
                uuid.uuid4().hex[:12],
                start + minute * MIN + timedelta(seconds=5),
            )
    finally:
        await owner.close()

    by_minute = await _features_by_minute(postgres_url, tenant.id, start, minutes=3)
    assert sorted(by_minute) == [0, 1, 2]
    assert by_minute[1]["errors"] == 1
    assert [by_minute[m].get("new_patterns", 0.0) for m in range(3)] == [0.0, 0.0, 1.0]  # not the other tenant's


async def test_pattern_counts_are_features_of_their_window_aliases_under_their_pattern_and_only_the_top_ones(
    app_client: httpx.AsyncClient, postgres_url: str
) -> None:
    tenant, other = await create_tenant(app_client), await create_tenant(app_client)
    start = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    survivor, alias = "a" * 12, "b" * 12
    many = [f"{i:012x}" for i in range(TOP_PATTERNS_PER_WINDOW + 5)]  # window 1: more than are kept
    owner = await asyncpg.connect(plain_url(postgres_url))
    try:
        for who in (tenant, other):
            tid = uuid.UUID(who.id)
            for pid, merged in ((survivor, None), (alias, survivor), *((p, None) for p in many)):
                await owner.execute(
                    "INSERT INTO patterns (tenant_id, id, service, template, first_seen, last_seen, merged_into) "
                    "VALUES ($1, $2, 'svc', 't', $3, $3, $4)",
                    tid, pid, start, merged,
                )  # fmt: skip
            rows = [(survivor, 0, 7), (alias, 0, 3)] + [(p, 1, i + 1) for i, p in enumerate(many)]
            if who is other:
                rows = [(survivor, 0, 1000)]
            for pid, minute, total in rows:
                await owner.execute(
                    "INSERT INTO pattern_counts (tenant_id, pattern_id, service, minute, total, errors) "
                    "VALUES ($1, $2, 'svc', $3, $4, 0)",
                    tid, pid, start + minute * MIN, total,
                )  # fmt: skip
    finally:
        await owner.close()

    by_minute = await _features_by_minute(postgres_url, tenant.id, start, minutes=2)
    first = {k: v for k, v in by_minute[0].items() if k.startswith(PATTERN_PREFIX)}
    assert first == {pattern_feature(survivor): 10.0}  # 7 + the alias's 3; not the other tenant's 1000
    second = {k: v for k, v in by_minute[1].items() if k.startswith(PATTERN_PREFIX)}
    kept = many[-TOP_PATTERNS_PER_WINDOW:]  # the most frequent (counts rise with the index)
    assert second == {pattern_feature(p): float(many.index(p) + 1) for p in kept}
