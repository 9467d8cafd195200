"""Rules on what the analytics found — a new pattern, a new or re-opened error group, an anomaly
score — read the patterns, error_groups and anomalies tables through the PostgreSQL adapter.

The rows are written here as the miner and the scorer write them (their own tests cover how they
come to be); what is under test is that each rule kind fires from them, within its window only,
and that another tenant's findings never fire a rule."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx
import orjson

from tests.conftest import TenantHandle
from tests.integration.alerts.conftest import Alerting
from tests.integration.alerts.receivers import WebhookReceiver
from tests.integration.alerts.test_alerts import RULES, post, webhook_channel
from tests.integration.api.conftest import plain_url
from tests.polling import eventually


async def _findings(postgres_url: str, tenant_id: str, at: datetime, *, reopened_at: datetime) -> None:
    conn = await asyncpg.connect(plain_url(postgres_url))  # the owner, as the workers' writes bypass nothing
    try:
        tenant = uuid.UUID(tenant_id)
        await conn.execute(
            "INSERT INTO patterns (tenant_id, id, service, template, first_seen, last_seen, created_at) "
            "VALUES ($1, $2, 'checkout', 'card <*> declined', $3, $3, $3)",
            tenant,
            f"p-{uuid.uuid4().hex[:8]}",
            at,
        )
        # An old group that recurred after being resolved: re-opened inside the window.
        await conn.execute(
            "INSERT INTO error_groups (tenant_id, id, service, fingerprint, kind, title, first_seen, last_seen, "
            "status, status_changed_at, reopened_count, created_at) "
            "VALUES ($1, $2, 'checkout', 'fp', 'exception', 'KeyError', $3, $3, 'open', $4, 1, $3)",
            tenant,
            f"g-{uuid.uuid4().hex[:8]}",
            at - timedelta(days=3),
            reopened_at,
        )
        await conn.execute(
            "INSERT INTO anomalies (tenant_id, service, window_start, window_end, score, baseline_score, model_score, "
            "features, drivers, sentence) VALUES ($1, 'checkout', $2, $3, 0.91, 0.9, 0.95, '{}', '[]', "
            "'error ratio 18% vs 0.4% usual')",
            tenant,
            at.replace(second=0, microsecond=0),
            at.replace(second=0, microsecond=0) + timedelta(minutes=1),
        )
    finally:
        await conn.close()


async def _rules(client: httpx.AsyncClient, tenant: TenantHandle, channel: str) -> dict[str, str]:
    conditions = {
        "new_pattern in 15m": "new pattern",
        "new_error_group in 15m": "new error group",
        "anomaly_score >= 0.8 in 15m": "anomaly",
    }
    ids = {}
    for condition, label in conditions.items():
        rule = await post(
            client,
            RULES,
            tenant,
            {
                "name": f"{label} {uuid.uuid4().hex[:6]}",
                "query": "service:checkout",
                "condition": condition,
                "channel_ids": [channel],
            },
        )
        ids[str(rule["id"])] = condition
    return ids


async def test_analytics_rules_fire_from_the_tables_and_only_for_their_tenant(
    alert_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    webhook: WebhookReceiver,
    alerting: Alerting,
    postgres_url: str,
) -> None:
    mine = await _rules(alert_client, tenant, await webhook_channel(alert_client, tenant, webhook))
    theirs = await _rules(alert_client, other_tenant, await webhook_channel(alert_client, other_tenant, webhook))
    # Findings older than every window first: nothing fires.
    stale = alerting.now - timedelta(hours=2)
    await _findings(postgres_url, tenant.id, stale, reopened_at=stale)
    await alerting.evaluate.execute()
    await alerting.deliver.execute()
    assert webhook.requests == []

    await _findings(postgres_url, tenant.id, alerting.now - timedelta(minutes=2), reopened_at=alerting.now)
    alerting.advance(seconds=30)
    await alerting.evaluate.execute()

    async def delivered() -> list[dict[str, object]] | None:
        await alerting.deliver.execute()
        bodies = [orjson.loads(r.body) for r in webhook.requests]
        return bodies if len(bodies) >= len(mine) else None

    bodies = await eventually(delivered, within=30, what="the three analytics alerts to be delivered")
    fired = {str(b["rule"]["id"]) for b in bodies}  # type: ignore[index]
    assert fired == set(mine), bodies
    assert not fired & set(theirs)
    for rule_id in theirs:
        state = (await alert_client.get(f"{RULES}/{rule_id}", headers=other_tenant.headers)).json()["state"]
        assert state["state"] == "ok" and not state.get("error"), state
