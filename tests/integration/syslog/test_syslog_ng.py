"""syslog-ng (Debian's syslog-ng-core) as a real sender: a file source forwarded over TLS with a
client certificate (RFC 5425; the certificate names the tenant), over TCP with a token set in
structured data, and over UDP as BSD syslog (the port names the tenant)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from src.adapters.embedded.service import free_port
from tests.conftest import TenantHandle, create_tenant
from tests.integration.syslog.certs import ThrowawayCa
from tests.integration.syslog.conftest import ListenerFactory, by_message, free_udp_port, keys, stored, wait_for
from tests.integration.syslog.senders import start_syslog_ng

pytestmark = pytest.mark.integration


async def test_syslog_ng_over_tls_with_a_client_certificate_tcp_with_a_token_and_udp(
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    syslog_listener: ListenerFactory,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    third = await create_tenant(app_client)
    tls, tcp, udp = free_port(), free_port(), free_udp_port()
    ca = ThrowawayCa(tmp_path)
    server = ca.issue("server", "localhost", server=True)
    client = ca.issue("client", "sender-a", server=False)
    source = tmp_path / "app.log"
    source.write_text("".join(f"syslog-ng line {i} {tag}\n" for i in range(3)))
    config = f"""
source s_app {{
  file("{source}" follow-freq(0.2) flags(no-parse) program-override("inventory")
       default-facility(local5) default-priority(err));
}};
destination d_tls {{
  syslog("127.0.0.1" port({tls}) transport("tls")
         tls(ca-file("{ca.pair.cert}") cert-file("{client.cert}") key-file("{client.key}") peer-verify(required-trusted)));
}};
rewrite r_token {{ set("{other_tenant.api_key}" value(".SDATA.logplane@32473.token")); }};
destination d_tcp {{ syslog("127.0.0.1" port({tcp}) transport("tcp")); }};
destination d_udp {{ network("127.0.0.1" port({udp}) transport("udp")); }};
log {{ source(s_app); destination(d_tls); }};
log {{ source(s_app); rewrite(r_token); destination(d_tcp); }};
log {{ source(s_app); destination(d_udp); }};
"""
    async with syslog_listener(
        tcp_ports=[tcp],
        udp_ports=[udp],
        tls_ports=[tls],
        tls_cert_file=str(server.cert),
        tls_key_file=str(server.key),
        tls_client_ca_file=str(ca.pair.cert),
        tls_client_keys={"sender-a": SecretStr(tenant.api_key)},
        port_keys=keys({udp: third.api_key}),
    ):
        daemon = start_syslog_ng(tmp_path, config)
        try:
            by_cert = await wait_for(app_client, tenant, 3)
            by_token = await wait_for(app_client, other_tenant, 3)
            by_port = await wait_for(app_client, third, 3)
        finally:
            daemon.stop()

    expected = {f"syslog-ng line {i} {tag}" for i in range(3)}
    for events, transport, syntax in (
        (by_cert, "tls", "rfc5424"),
        (by_token, "tcp", "rfc5424"),
        (by_port, "udp", "rfc3164"),
    ):
        assert set(by_message(events)) == expected, daemon.output()
        for event in events:
            assert (event["service"], event["severity"]) == ("inventory", "ERROR"), event
            assert event["attributes"]["facility"] == "local5"
            assert (event["attributes"]["syslog_transport"], event["attributes"]["syslog"]) == (transport, syntax)
            assert event["host"]
    assert all(other_tenant.api_key not in str(e) for e in by_token)
    assert len(await stored(app_client, tenant)) == 3


async def test_tls_without_a_mapped_certificate_or_token_stores_nothing(
    app_client: httpx.AsyncClient, tenant: TenantHandle, syslog_listener: ListenerFactory, tmp_path: Path
) -> None:
    """A certificate from another CA is not verified, so it names no tenant (and the handshake fails
    when client certificates are required)."""
    import asyncio
    import ssl

    from tests.integration.syslog.conftest import metric
    from tests.polling import until

    tls = free_port()
    ca = ThrowawayCa(tmp_path)
    server = ca.issue("server", "localhost", server=True)
    before = metric("logplane_syslog_refused_messages_total", reason="missing_credential")
    async with syslog_listener(
        tls_ports=[tls],
        tls_cert_file=str(server.cert),
        tls_key_file=str(server.key),
        tls_client_ca_file=str(ca.pair.cert),
        tls_client_keys={"sender-a": SecretStr(tenant.api_key)},
    ):
        context = ssl.create_default_context(cafile=str(ca.pair.cert))
        _, writer = await asyncio.open_connection("127.0.0.1", tls, ssl=context)
        frame = b"<14>1 - host app - - - no certificate"
        writer.write(str(len(frame)).encode() + b" " + frame)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

        async def refused() -> bool:
            return metric("logplane_syslog_refused_messages_total", reason="missing_credential") > before

        await until(refused, within=30, what="the message without a credential counted as refused")
    assert await stored(app_client, tenant) == []
