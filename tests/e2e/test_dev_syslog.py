"""`logplane dev` runs the syslog listener (`logplane syslog`, a child process of its own): logger over
TCP and UDP and a TLS client trusting the dev certificate reach the demo tenant."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import httpx

from src.adapters.embedded.service import free_port
from tests.e2e.test_dev_stack import SERVICE_ENV, _stop, _wait_for_banner
from tests.integration.syslog.conftest import free_udp_port
from tests.integration.syslog.senders import logger


def _start(data_dir: Path, port: int, **env: str) -> subprocess.Popen[str]:
    import os
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV and not k.startswith("LOGPLANE_SYSLOG_")}
    return subprocess.Popen(
        [sys.executable, "-m", "src.entrypoints.cli.main", "dev", "--data-dir", str(data_dir), "--port", str(port)],
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _send(example: str, data_dir: Path, tcp: int, udp: int, tls: int, tag: str) -> None:
    """The banner's example line as printed, logger over TCP and UDP, and a TLS client trusting the dev certificate."""
    subprocess.run(["bash", "-c", example], check=True, timeout=30)
    logger(tcp, f"dev tcp {tag}", "--tcp", "--rfc5424", "-t", "e2e")
    logger(udp, f"dev udp {tag}", "--udp", "--rfc3164", "-t", "e2e")
    context = ssl.create_default_context(cafile=str(data_dir / "syslog-tls" / "syslog.pem"))
    with (
        socket.create_connection(("127.0.0.1", tls), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        frame = f"<13>1 - e2e-host e2e - - - dev tls {tag}".encode()
        sock.sendall(str(len(frame)).encode() + b" " + frame)


def _messages(base: str, key: str) -> set[str]:
    response = httpx.get(f"{base}/api/v1/logs", params={"page_size": 100}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return {item["message"] for item in response.json()["items"]}


async def test_dev_listens_for_syslog_and_maps_its_ports_to_the_demo_tenant(tmp_path: Path) -> None:
    from tests.polling import until

    data_dir, port = tmp_path / ".logplane", free_port()
    tcp, tls, udp = free_port(), free_port(), free_udp_port()
    proc = _start(
        data_dir,
        port,
        LOGPLANE_SYSLOG_TCP_PORTS=f"[{tcp}]",
        LOGPLANE_SYSLOG_UDP_PORTS=f"[{udp}]",
        LOGPLANE_SYSLOG_TLS_PORTS=f"[{tls}]",
    )
    try:
        banner = _wait_for_banner(proc)
        assert (
            f"tcp 127.0.0.1:{tcp}" in banner and f"tls 127.0.0.1:{tls}" in banner and f"udp 127.0.0.1:{udp}" in banner
        )
        example = next(ln.strip() for ln in banner.splitlines() if ln.strip().startswith("logger --tcp"))
        key = json.loads((data_dir / "dev.json").read_text())["demo"]["api_key"]
        tag = uuid.uuid4().hex[:8]
        await asyncio.to_thread(_send, example, data_dir, tcp, udp, tls, tag)
        base = f"http://127.0.0.1:{port}"
        wanted = {"hello from syslog", f"dev tcp {tag}", f"dev udp {tag}", f"dev tls {tag}"}

        async def arrived() -> bool:
            return wanted <= _messages(base, key)

        await until(arrived, within=90, poll=0.5, what="the syslog messages readable through the API")
    finally:
        code = _stop(proc)
    assert code == 0


def test_dev_without_syslog_says_so(tmp_path: Path) -> None:
    data_dir, port = tmp_path / ".logplane", free_port()
    import os
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "src.entrypoints.cli.main",
            "dev",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--no-syslog",
            "--no-workers",
        ],
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert "syslog: off (--no-syslog)." in _wait_for_banner(proc)
    finally:
        assert _stop(proc) == 0
