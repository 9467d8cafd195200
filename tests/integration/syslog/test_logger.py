"""util-linux's `logger` as the sender: TCP (LF and octet-counted), UDP, RFC 5424 and 3164; the
tenant by port or by token; a wrong token refused and counted; another tenant sees nothing."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import TenantHandle, create_tenant
from tests.integration.syslog.conftest import ListenerFactory, by_message, keys, metric, stored, wait_for
from tests.integration.syslog.senders import logger
from tests.polling import until

pytestmark = pytest.mark.integration


def _near_now(stamp: str) -> bool:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return abs(moment - datetime.now(UTC)) < timedelta(minutes=5)


async def test_rfc5424_over_tcp_and_3164_over_udp_land_in_the_port_tenant_with_their_fields(
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    syslog_listener: ListenerFactory,
    tcp_port: int,
    udp_port: int,
) -> None:
    tag = uuid.uuid4().hex[:8]
    mapping = keys({tcp_port: tenant.api_key, udp_port: tenant.api_key})
    async with syslog_listener(tcp_ports=[tcp_port], udp_ports=[udp_port], port_keys=mapping):
        logger(
            tcp_port,
            f"lf framed {tag}",
            "--tcp",
            "--rfc5424",
            "-t",
            "billing",
            "-p",
            "local3.warning",
            "--msgid",
            "PAY",
            "--sd-id",
            "order@32473",
            "--sd-param",
            'id="o-17"',
            "--sd-param",
            'amount="12.50"',
        )
        logger(tcp_port, f"octet counted {tag}", "--tcp", "--octet-count", "--rfc5424", "-t", "api", "-p", "daemon.err")
        logger(udp_port, f"bsd over udp {tag}", "--udp", "--rfc3164", "-t", "cron", "-p", "cron.info")
        events = by_message(await wait_for(app_client, tenant, 3))

    five = events[f"lf framed {tag}"]
    assert (five["service"], five["severity"]) == ("billing", "WARN")
    assert five["host"] and socket.gethostname().startswith(five["host"].split(".")[0])
    assert _near_now(five["timestamp"])
    attributes = five["attributes"]
    assert attributes["facility"] == "local3"
    assert attributes["msg_id"] == "PAY"
    assert attributes["syslog"] == "rfc5424"
    assert attributes["syslog_transport"] == "tcp"
    assert attributes["structured_data"]["order@32473"] == {"id": "o-17", "amount": "12.50"}

    counted = events[f"octet counted {tag}"]
    assert (counted["service"], counted["severity"], counted["attributes"]["facility"]) == ("api", "ERROR", "daemon")

    bsd = events[f"bsd over udp {tag}"]
    assert (bsd["service"], bsd["severity"]) == ("cron", "INFO")
    assert bsd["attributes"]["syslog"] == "rfc3164"
    assert bsd["attributes"]["facility"] == "cron"
    assert bsd["attributes"]["syslog_transport"] == "udp"
    assert _near_now(bsd["timestamp"])

    assert await stored(app_client, other_tenant) == []


async def test_a_token_in_structured_data_picks_the_tenant_and_is_not_stored(
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    syslog_listener: ListenerFactory,
    tcp_port: int,
    udp_port: int,
) -> None:
    tag = uuid.uuid4().hex[:8]
    # The port belongs to `tenant`; the token in the message wins over it.
    async with syslog_listener(tcp_ports=[tcp_port], udp_ports=[udp_port], port_keys=keys({tcp_port: tenant.api_key})):
        token = ["--sd-id", "logplane@32473", "--sd-param", f'token="{other_tenant.api_key}"']
        logger(tcp_port, f"by token over tcp {tag}", "--tcp", "--rfc5424", "-t", "app", *token)
        logger(udp_port, f"by token over udp {tag}", "--udp", "--rfc5424", "-t", "app", *token)
        logger(tcp_port, f"by port {tag}", "--tcp", "--rfc5424", "-t", "app")
        theirs = by_message(await wait_for(app_client, other_tenant, 2))
        assert len(await wait_for(app_client, tenant, 1)) == 1

    assert set(theirs) == {f"by token over tcp {tag}", f"by token over udp {tag}"}
    for event in theirs.values():
        assert other_tenant.api_key not in str(event)
        assert "logplane@32473" not in event["attributes"].get("structured_data", {})
    assert [e["message"] for e in await stored(app_client, tenant)] == [f"by port {tag}"]


async def test_a_wrong_token_or_no_credential_is_refused_counted_and_not_stored(
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    syslog_listener: ListenerFactory,
    tcp_port: int,
    udp_port: int,
) -> None:
    tag = uuid.uuid4().hex[:8]
    unknown = metric("logplane_syslog_refused_messages_total", reason="invalid_api_key")
    missing = metric("logplane_syslog_refused_messages_total", reason="missing_credential")
    # The TCP port is mapped; a wrong token is refused all the same (it does not fall back to the port).
    async with syslog_listener(tcp_ports=[tcp_port], udp_ports=[udp_port], port_keys=keys({tcp_port: tenant.api_key})):
        wrong = ["--sd-id", "logplane@32473", "--sd-param", 'token="lp_not-a-real-key"']
        logger(tcp_port, f"wrong token {tag}", "--tcp", "--rfc5424", "-t", "app", *wrong)
        logger(udp_port, f"no credential {tag}", "--udp", "--rfc5424", "-t", "app")
        logger(tcp_port, f"fine {tag}", "--tcp", "--rfc5424", "-t", "app")

        async def counted() -> bool:
            return (
                metric("logplane_syslog_refused_messages_total", reason="invalid_api_key") > unknown
                and metric("logplane_syslog_refused_messages_total", reason="missing_credential") > missing
            )

        await until(counted, within=60, what="both refusals counted")
        await wait_for(app_client, tenant, 1)
    assert [e["message"] for e in await stored(app_client, tenant)] == [f"fine {tag}"]


async def test_a_tenant_created_elsewhere_sees_nothing_of_another_tenants_syslog(
    app_client: httpx.AsyncClient, tenant: TenantHandle, syslog_listener: ListenerFactory, tcp_port: int
) -> None:
    async with syslog_listener(tcp_ports=[tcp_port], port_keys=keys({tcp_port: tenant.api_key})):
        logger(tcp_port, "private", "--tcp", "--rfc5424", "-t", "app")
        await wait_for(app_client, tenant, 1)
    stranger = await create_tenant(app_client)
    assert await stored(app_client, stranger) == []
    response = await app_client.get("/api/v1/logs", params={"q": "private"}, headers=stranger.headers)
    assert response.status_code == 200 and response.json()["items"] == []


async def test_the_tenant_rate_applies_and_what_passes_it_is_in_the_rejection_tally(
    app_client: httpx.AsyncClient, tenant: TenantHandle, syslog_listener: ListenerFactory, tcp_port: int
) -> None:
    tag = uuid.uuid4().hex[:8]
    lines = "".join(f"<14>1 - host app - - - burst {i} {tag}\n" for i in range(5))
    async with syslog_listener(
        tcp_ports=[tcp_port],
        port_keys=keys({tcp_port: tenant.api_key}),
        tenant_events_per_second=0.001,
        tenant_burst=2.0,
        batch_messages=5,
    ):
        _, writer = await asyncio.open_connection("127.0.0.1", tcp_port)
        writer.write(lines.encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await wait_for(app_client, tenant, 2)

        async def tallied() -> bool:
            response = await app_client.get("/api/v1/ingest/rejections", headers=tenant.headers)
            assert response.status_code == 200, response.text
            return any(
                r["route"] == "syslog" and r["reason"] == "rate_limited" and r["count"] >= 3
                for r in response.json()["rejections"]
            )

        await until(tallied, within=30, what="the rate-limited messages in the rejection tally")
    assert len(await stored(app_client, tenant)) == 2
