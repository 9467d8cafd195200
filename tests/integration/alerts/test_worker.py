"""The `alerts` worker itself: its loops evaluate on their schedule and deliver, with no test hand
on the clock; stopped and started again, it keeps the rule's state (no second notification)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from src.domain.wire import rfc3339
from tests.conftest import TenantHandle, make_settings
from tests.integration.alerts.receivers import WebhookReceiver
from tests.integration.alerts.test_alerts import CHANNELS, RULES, WEBHOOK_SECRET, history, post
from tests.polling import eventually
from workers.registry import WORKERS


async def test_the_worker_evaluates_on_schedule_and_a_restart_keeps_the_state(
    alert_client: httpx.AsyncClient,
    tenant: TenantHandle,
    webhook: WebhookReceiver,
    postgres_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    settings = make_settings(
        postgres_url,
        redis_url,
        alerts__allow_private_targets=True,
        alerts__evaluation_interval_seconds=0.2,
        alerts__delivery_interval_seconds=0.2,
        worker__status_dir=str(tmp_path),
    )
    channel = await post(
        alert_client,
        CHANNELS,
        tenant,
        {"name": "hook", "type": "webhook", "config": {"url": webhook.url}, "secret": WEBHOOK_SECRET},
    )
    rule = await post(
        alert_client,
        RULES,
        tenant,
        {"name": "worker rule", "condition": "count > 2 in 10m", "channel_ids": [channel["id"]]},
    )
    at = rfc3339(datetime.now(UTC) - timedelta(seconds=5))
    events = [{"message": "disk full", "timestamp": at, "severity": "error"} for _ in range(3)]
    assert (await alert_client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)).status_code == 201

    async def rule_state() -> str:
        return str((await alert_client.get(f"{RULES}/{rule['id']}", headers=tenant.headers)).json()["state"]["state"])

    async def firing() -> bool:
        return await rule_state() == "firing"

    async def notified() -> bool:
        return len(webhook.requests) >= 1

    for _ in range(2):  # start, stop, start again: a new process's use cases, the same stored state
        stop = asyncio.Event()
        task = asyncio.create_task(WORKERS["alerts"](settings, stop))
        try:
            await eventually(notified, within=30, what="the firing webhook")
            await eventually(firing, within=10, what="the rule firing")
            # Evaluated again (the state's evaluated_at moves) while still firing.
            first = (await alert_client.get(f"{RULES}/{rule['id']}", headers=tenant.headers)).json()["state"]
            await eventually(
                lambda f=first: _evaluated_after(alert_client, tenant, rule["id"], f["evaluated_at"]),
                within=30,
                what="another evaluation round",
            )
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=60)
    assert await rule_state() == "firing"
    assert len(webhook.requests) == 1 and webhook.requests[0].signed_with(WEBHOOK_SECRET)
    (alert,) = await history(alert_client, tenant)
    assert [d["status"] for d in alert["deliveries"]] == ["delivered"]


async def _evaluated_after(client: httpx.AsyncClient, tenant: TenantHandle, rule_id: str, before: str) -> bool:
    state = (await client.get(f"{RULES}/{rule_id}", headers=tenant.headers)).json()["state"]
    return bool(state["evaluated_at"] and state["evaluated_at"] > before)
