"""Alerting through the real platform: events ingested over HTTP, rules and channels made over HTTP,
evaluation by the alerts worker's use cases, a webhook receiver and an SMTP server (STARTTLS) in this
process receiving the notifications, and the history read back over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from src.domain.wire import rfc3339
from tests.conftest import TenantHandle
from tests.integration.alerts.conftest import SMTP_PASSWORD, SMTP_USER, Alerting
from tests.integration.alerts.receivers import SmtpReceiver, WebhookReceiver
from tests.integration.api.conftest import plain_url
from tests.polling import eventually

WEBHOOK_SECRET = "whsec-" + uuid.uuid4().hex
RULES, CHANNELS, SILENCES, ALERTS = (
    "/api/v1/alert-rules",
    "/api/v1/alert-channels",
    "/api/v1/alert-silences",
    "/api/v1/alerts",
)


async def ingest(
    client: httpx.AsyncClient, tenant: TenantHandle, count: int, *, before: datetime, **fields: Any
) -> None:
    """`count` events 30 s before the evaluator's `before` (its clock)."""
    at = rfc3339(before - timedelta(seconds=30))
    events = [
        {"message": f"payment declined #{i}", "timestamp": at, "service": "checkout", **fields} for i in range(count)
    ]
    response = await client.post("/api/v1/logs/bulk", json=events, headers=tenant.headers)
    assert response.status_code == 201, response.text


async def post(client: httpx.AsyncClient, url: str, tenant: TenantHandle, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def webhook_channel(client: httpx.AsyncClient, tenant: TenantHandle, receiver: WebhookReceiver) -> str:
    body = {
        "name": f"hook-{uuid.uuid4().hex[:6]}",
        "type": "webhook",
        "config": {"url": receiver.url},
        "secret": WEBHOOK_SECRET,
    }
    return str((await post(client, CHANNELS, tenant, body))["id"])


async def email_channel(client: httpx.AsyncClient, tenant: TenantHandle, smtp: SmtpReceiver) -> str:
    body = {
        "name": f"mail-{uuid.uuid4().hex[:6]}",
        "type": "email",
        "config": {
            "host": "127.0.0.1",
            "port": smtp.port,
            "username": SMTP_USER,
            "from": "logplane@example.org",
            "to": ["oncall@example.org"],
        },
        "secret": SMTP_PASSWORD,
    }
    return str((await post(client, CHANNELS, tenant, body))["id"])


async def history(client: httpx.AsyncClient, tenant: TenantHandle, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(ALERTS, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def mails_of(smtp: SmtpReceiver, rule_name: str) -> list[str]:
    return [str(m.message["Subject"]) for m in smtp.mails if rule_name in str(m.message["Subject"])]


async def test_fire_notify_by_webhook_and_email_then_resolve_once_across_a_restart(
    alert_client: httpx.AsyncClient,
    tenant: TenantHandle,
    webhook: WebhookReceiver,
    smtp: SmtpReceiver,
    alerting: Alerting,
) -> None:
    hook, mail = await webhook_channel(alert_client, tenant, webhook), await email_channel(alert_client, tenant, smtp)
    name = f"checkout errors {uuid.uuid4().hex[:6]}"
    rule = await post(
        alert_client,
        RULES,
        tenant,
        {
            "name": name,
            "query": "service:checkout severity:>=error",
            "condition": "count > 5 in 5m",
            "channel_ids": [hook, mail],
        },
    )
    assert (rule["kind"], rule["threshold"], rule["window_seconds"], rule["state"]["state"]) == ("count", 5, 300, "ok")
    await ingest(alert_client, tenant, 5, before=alerting.now, severity="error")
    await ingest(alert_client, tenant, 20, before=alerting.now, severity="info")  # outside the filter
    await alerting.evaluate.execute()
    assert webhook.requests == [] and (await history(alert_client, tenant)) == []

    await ingest(alert_client, tenant, 1, before=alerting.now, severity="fatal")
    await alerting.evaluate.execute()
    (fired,) = webhook.requests
    assert fired.signed_with(WEBHOOK_SECRET), fired.headers
    assert fired.headers["x-logplane-timestamp"] == str(fired.json["sent_at"])
    assert (fired.json["status"], fired.json["value"], fired.json["rule"]["name"]) == ("firing", 6, name)
    assert mails_of(smtp, name) == [f"[logplane] FIRING: {name} (count > 5 in 5m; value 6)"]
    mail_received = next(m for m in smtp.mails if name in str(m.message["Subject"]))
    assert mail_received.tls and mail_received.authenticated and mail_received.recipients == ["oncall@example.org"]
    (alert,) = await history(alert_client, tenant)
    assert (alert["kind"], alert["notice"], alert["value"]) == ("firing", "notified", 6)
    assert sorted((d["channel_type"], d["status"], d["attempts"]) for d in alert["deliveries"]) == [
        ("email", "delivered", 1),
        ("webhook", "delivered", 1),
    ]
    state = (await alert_client.get(f"{RULES}/{rule['id']}", headers=tenant.headers)).json()["state"]
    assert (state["state"], state["value"], state["open_alert_id"]) == ("firing", 6, alert["id"])

    # Still over the threshold, and evaluated by a restarted worker: no second notification.
    await ingest(alert_client, tenant, 3, before=alerting.now, severity="error")
    await alerting.start()
    alerting.advance(seconds=30)
    await alerting.evaluate.execute()
    assert len(webhook.requests) == 1 and len(mails_of(smtp, name)) == 1

    # The window moves past the events: resolved, announced once by each channel.
    await alerting.start()
    alerting.advance(minutes=10)
    await alerting.evaluate.execute()
    await alerting.evaluate.execute()
    assert [r.json["status"] for r in webhook.requests] == ["firing", "resolved"]
    assert webhook.requests[1].signed_with(WEBHOOK_SECRET)
    assert len(mails_of(smtp, name)) == 2 and "RESOLVED" in mails_of(smtp, name)[1]
    resolved, firing = await history(alert_client, tenant)
    assert (resolved["kind"], resolved["firing_id"], firing["id"]) == ("resolved", firing["id"], alert["id"])
    assert all(d["status"] == "delivered" for d in resolved["deliveries"])
    assert (await history(alert_client, tenant, rule_id=rule["id"], limit=1))[0]["id"] == resolved["id"]


async def test_error_ratio_rule(
    alert_client: httpx.AsyncClient, tenant: TenantHandle, webhook: WebhookReceiver, alerting: Alerting
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    await post(
        alert_client, RULES, tenant, {"name": "ratio", "condition": "error_ratio > 10% in 10m", "channel_ids": [hook]}
    )
    await ingest(alert_client, tenant, 18, before=alerting.now, severity="info")
    await ingest(alert_client, tenant, 2, before=alerting.now, severity="error")
    await alerting.evaluate.execute()
    assert webhook.requests == []  # exactly 10%
    await ingest(alert_client, tenant, 1, before=alerting.now, severity="error")
    await alerting.evaluate.execute()
    (fired,) = webhook.requests
    assert fired.json["value"] == pytest.approx(3 / 21) and fired.json["condition"] == "error_ratio > 10% in 10m"


async def test_a_failing_receiver_is_retried_with_backoff_and_logged(
    alert_client: httpx.AsyncClient, tenant: TenantHandle, webhook: WebhookReceiver, alerting: Alerting
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    await post(alert_client, RULES, tenant, {"name": "any", "condition": "count > 0 in 5m", "channel_ids": [hook]})
    webhook.statuses = [500, 503]
    await ingest(alert_client, tenant, 1, before=alerting.now)
    await alerting.evaluate.execute()
    assert len(webhook.requests) == 1
    assert await alerting.deliver.execute() == 0  # the retry waits its backoff (5 s)
    alerting.advance(seconds=5)
    await alerting.deliver.execute()
    alerting.advance(seconds=10)  # then 10 s
    await alerting.deliver.execute()
    assert len(webhook.requests) == 3 and all(r.signed_with(WEBHOOK_SECRET) for r in webhook.requests)
    assert len({r.json["alert_id"] for r in webhook.requests}) == 1  # one alert: receivers de-duplicate on it
    (alert,) = await history(alert_client, tenant)
    (delivery,) = alert["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("delivered", 3, None)
    assert [(e["ok"], e["status_code"]) for e in delivery["log"]] == [(False, 500), (False, 503), (True, 200)]


async def test_a_silence_suppresses_notifications(
    alert_client: httpx.AsyncClient, tenant: TenantHandle, webhook: WebhookReceiver, alerting: Alerting
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    rule = await post(
        alert_client, RULES, tenant, {"name": "quiet", "condition": "count > 0 in 5m", "channel_ids": [hook]}
    )
    silence = await post(
        alert_client, SILENCES, tenant, {"rule_id": rule["id"], "duration_seconds": 3600, "comment": "deploy"}
    )
    listed = (await alert_client.get(SILENCES, headers=tenant.headers)).json()["items"]
    assert [s["id"] for s in listed] == [silence["id"]] and listed[0]["comment"] == "deploy"
    alerting.now = datetime.now(UTC)  # the silence began at the API's now
    await ingest(alert_client, tenant, 2, before=alerting.now)
    await alerting.evaluate.execute()
    alerting.advance(minutes=10)
    await alerting.evaluate.execute()
    assert webhook.requests == []
    resolved, fired = await history(alert_client, tenant)
    assert (fired["notice"], fired["deliveries"]) == ("silenced", [])
    assert (resolved["notice"], resolved["deliveries"]) == ("silenced", [])
    assert (await alert_client.delete(f"{SILENCES}/{silence['id']}", headers=tenant.headers)).status_code == 204
    assert (await alert_client.get(SILENCES, headers=tenant.headers)).json()["items"] == []


async def test_test_notification_and_write_only_encrypted_secrets(
    alert_client: httpx.AsyncClient, tenant: TenantHandle, webhook: WebhookReceiver, postgres_url: str
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    slack = await post(
        alert_client,
        CHANNELS,
        tenant,
        {"name": "slack", "type": "slack", "secret": webhook.url + "/slack/T000/B000/XXXX"},
    )
    for channel_id in (hook, slack["id"]):
        response = await alert_client.post(f"{CHANNELS}/{channel_id}/test", headers=tenant.headers)
        assert response.json() == {"delivered": True, "status_code": 200, "error": None}
    signed, slack_post = webhook.requests
    assert signed.signed_with(WEBHOOK_SECRET) and signed.json["status"] == "test"
    assert slack_post.path == "/hook/slack/T000/B000/XXXX" and slack_post.json["text"].startswith("[logplane] test")
    assert "x-logplane-signature" not in slack_post.headers
    webhook.statuses = [500]
    failed = (await alert_client.post(f"{CHANNELS}/{hook}/test", headers=tenant.headers)).json()
    assert (failed["delivered"], failed["status_code"]) == (False, 500)
    # Never returned, never stored in the clear.
    listed = await alert_client.get(CHANNELS, headers=tenant.headers)
    assert WEBHOOK_SECRET not in listed.text and "XXXX" not in listed.text
    assert [c["has_secret"] for c in listed.json()["items"]] == [True, True]
    conn = await asyncpg.connect(plain_url(postgres_url))
    try:
        stored = await conn.fetchval("SELECT secret FROM alert_channels WHERE id = $1", uuid.UUID(hook))
    finally:
        await conn.close()
    assert WEBHOOK_SECRET.encode() not in stored
    # A replace without `secret` keeps it (the next test send is still signed with it).
    put = await alert_client.put(
        f"{CHANNELS}/{hook}",
        json={"name": "renamed", "type": "webhook", "config": {"url": webhook.url}},
        headers=tenant.headers,
    )
    assert put.status_code == 200 and put.json()["has_secret"] is True
    await alert_client.post(f"{CHANNELS}/{hook}/test", headers=tenant.headers)
    assert webhook.requests[-1].signed_with(WEBHOOK_SECRET)


async def test_bad_input_is_422(alert_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    cases = [
        (RULES, {"name": "x", "condition": "count > 1"}, "condition"),
        (RULES, {"name": "x", "condition": "count > 1 in 5m", "query": "service:"}, "query"),
        (RULES, {"name": "x", "condition": "count > 1 in 5m", "channel_ids": [str(uuid.uuid4())]}, "channel_ids"),
        (
            CHANNELS,
            {"name": "x", "type": "webhook", "config": {"url": "http://h.example"}, "secret": "short"},
            "secret",
        ),
        (CHANNELS, {"name": "x", "type": "email", "config": {"host": "h", "from": "a@b.c", "to": "x"}}, "config.to"),
        (SILENCES, {"rule_id": str(uuid.uuid4()), "duration_seconds": 60}, "rule_id"),
    ]
    for url, body, field in cases:
        response = await alert_client.post(url, json=body, headers=tenant.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"]["field"] == field, response.text
    assert (await alert_client.get(f"{RULES}/{uuid.uuid4()}", headers=tenant.headers)).status_code == 404
    assert (await alert_client.get(ALERTS, params={"limit": 0}, headers=tenant.headers)).status_code == 422


@pytest.fixture
async def as_app(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(plain_url(postgres_url), server_settings={"role": "logplane_app"})
    try:
        yield conn
    finally:
        await conn.close()


async def test_a_second_tenant_sees_and_touches_nothing(
    alert_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    webhook: WebhookReceiver,
    alerting: Alerting,
    as_app: asyncpg.Connection,
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    rule = await post(
        alert_client, RULES, tenant, {"name": "mine", "condition": "count > 3 in 5m", "channel_ids": [hook]}
    )
    await ingest(alert_client, other_tenant, 50, before=alerting.now)  # another tenant's events never count
    await alerting.evaluate.execute()
    assert webhook.requests == []
    await ingest(alert_client, tenant, 4, before=alerting.now)
    await alerting.evaluate.execute()
    assert len(webhook.requests) == 1
    silence = await post(alert_client, SILENCES, tenant, {"rule_id": rule["id"], "duration_seconds": 60})
    h = other_tenant.headers
    for url in (RULES, CHANNELS, SILENCES, ALERTS):
        assert (await alert_client.get(url, headers=h)).json()["items"] == [], url
    assert (await alert_client.get(f"{RULES}/{rule['id']}", headers=h)).status_code == 404
    assert (
        await alert_client.put(f"{RULES}/{rule['id']}", json={"name": "x", "condition": "count > 1 in 5m"}, headers=h)
    ).status_code == 404
    assert (await alert_client.delete(f"{RULES}/{rule['id']}", headers=h)).status_code == 404
    assert (await alert_client.post(f"{CHANNELS}/{hook}/test", headers=h)).status_code == 404
    assert (await alert_client.delete(f"{CHANNELS}/{hook}", headers=h)).status_code == 404
    assert (await alert_client.delete(f"{SILENCES}/{silence['id']}", headers=h)).status_code == 404
    # Nor can it point a rule at the first tenant's channel, or silence its rule.
    stolen = await alert_client.post(
        RULES, json={"name": "x", "condition": "count > 1 in 5m", "channel_ids": [hook]}, headers=h
    )
    assert stolen.status_code == 422
    assert (
        await alert_client.post(SILENCES, json={"rule_id": rule["id"], "duration_seconds": 60}, headers=h)
    ).status_code == 422
    # Row-level security underneath: acting as the other tenant, no row of any alerting table shows.
    await as_app.execute("SELECT set_config('logplane.tenant_id', $1, false)", other_tenant.id)
    for table in ("alert_rules", "alert_channels", "alert_silences", "alert_history", "alert_deliveries"):
        assert await as_app.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", uuid.UUID(tenant.id)) == 0
    with pytest.raises(asyncpg.PostgresError):
        await as_app.execute(
            "INSERT INTO alert_channels (tenant_id, id, name, type) VALUES ($1, $2, 'x', 'slack')",
            uuid.UUID(tenant.id),
            uuid.uuid4(),
        )
    # The cross-tenant helpers answer tenant ids only.
    ids = {r[0] for r in await as_app.fetch("SELECT alert_tenants_with_rules()")}
    assert uuid.UUID(tenant.id) in ids and uuid.UUID(other_tenant.id) not in ids


async def test_a_deleted_rule_leaves_its_history(
    alert_client: httpx.AsyncClient, tenant: TenantHandle, webhook: WebhookReceiver, alerting: Alerting
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    rule = await post(
        alert_client, RULES, tenant, {"name": "gone", "condition": "count > 0 in 5m", "channel_ids": [hook]}
    )
    await ingest(alert_client, tenant, 1, before=alerting.now)
    await alerting.evaluate.execute()
    assert (await alert_client.delete(f"{RULES}/{rule['id']}", headers=tenant.headers)).status_code == 204
    (alert,) = await eventually(lambda: history(alert_client, tenant), within=5, what="the alert history")
    assert alert["rule_name"] == "gone"
    assert (await alert_client.delete(f"{CHANNELS}/{hook}", headers=tenant.headers)).status_code == 204


async def test_a_resolve_is_not_sent_before_its_firing(
    alert_client: httpx.AsyncClient, tenant: TenantHandle, webhook: WebhookReceiver, alerting: Alerting
) -> None:
    hook = await webhook_channel(alert_client, tenant, webhook)
    await post(alert_client, RULES, tenant, {"name": "order", "condition": "count > 0 in 5m", "channel_ids": [hook]})
    webhook.statuses = [500, 500]
    await ingest(alert_client, tenant, 1, before=alerting.now)
    await alerting.evaluate.execute()  # the firing's first attempt fails
    alerting.advance(minutes=10)
    await alerting.evaluate.execute()  # resolved; the firing's second attempt fails, the resolve waits
    assert [r.json["status"] for r in webhook.requests] == ["firing", "firing"]
    alerting.advance(seconds=10)
    await alerting.deliver.execute()
    assert [r.json["status"] for r in webhook.requests] == ["firing", "firing", "firing", "resolved"]
