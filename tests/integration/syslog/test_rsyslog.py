"""rsyslog (Debian's package) as a real sender: a file read by `imfile`, forwarded by `omfwd` over TCP
(octet-counted RFC 5424), UDP (RFC 3164) and TCP with LF framing and a token in structured data."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from src.adapters.embedded.service import free_port
from tests.conftest import TenantHandle
from tests.integration.syslog.conftest import ListenerFactory, by_message, free_udp_port, keys, stored, wait_for
from tests.integration.syslog.senders import start_rsyslog

pytestmark = pytest.mark.integration


async def test_rsyslog_forwards_a_file_over_tcp_and_udp_and_with_a_token(
    app_client: httpx.AsyncClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    syslog_listener: ListenerFactory,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    counted, lf, udp = free_port(), free_port(), free_udp_port()
    source = tmp_path / "app.log"
    source.write_text("".join(f"rsyslog line {i} {tag}\n" for i in range(3)))
    config = f"""
module(load="imfile")
input(type="imfile" File="{source}" Tag="shop-api:" Facility="local4" Severity="warning")
template(name="tokened" type="string"
         string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% - - [logplane@32473 token=\\"{other_tenant.api_key}\\"] %msg%\\n")
action(type="omfwd" target="127.0.0.1" port="{counted}" protocol="tcp" TCP_Framing="octet-counted"
       template="RSYSLOG_SyslogProtocol23Format")
action(type="omfwd" target="127.0.0.1" port="{udp}" protocol="udp" template="RSYSLOG_TraditionalForwardFormat")
action(type="omfwd" target="127.0.0.1" port="{lf}" protocol="tcp" template="tokened")
"""
    mapping = keys({counted: tenant.api_key, udp: tenant.api_key})
    async with syslog_listener(tcp_ports=[counted, lf], udp_ports=[udp], port_keys=mapping):
        daemon = start_rsyslog(tmp_path, config)
        try:
            mine = await wait_for(app_client, tenant, 6)
            theirs = await wait_for(app_client, other_tenant, 3)
        finally:
            daemon.stop()
        assert daemon.process.returncode is not None

    for i in range(3):
        assert sum(1 for e in mine if e["message"] == f"rsyslog line {i} {tag}") == 2, daemon.output()
    for event in mine:
        assert (event["service"], event["severity"], event["attributes"]["facility"]) == ("shop-api", "WARN", "local4")
        assert event["host"]
    assert {e["attributes"]["syslog"] for e in mine} == {"rfc5424", "rfc3164"}
    assert {e["attributes"]["syslog_transport"] for e in mine} == {"tcp", "udp"}
    assert set(by_message(theirs)) == {f"rsyslog line {i} {tag}" for i in range(3)}
    assert all(other_tenant.api_key not in str(e) for e in theirs)
    assert len(await stored(app_client, tenant)) == 6
