"""The syslog listener under `logplane dev`: ports, a self-signed TLS certificate, the demo tenant.

Defaults (each overridable by its LOGPLANE_SYSLOG_* variable): TCP 5514, UDP 5514 and TLS 6514 on
127.0.0.1, all mapped to the demo tenant's key, TLS with a certificate made once in the data dir.
A port another process holds is not fatal: dev then runs without syslog and says why.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made once."""
    cert, key = directory / "syslog.pem", directory / "syslog.key"
    if cert.exists() and key.exists():
        return cert, key
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "logplane dev syslog")])
    now = datetime.now(UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key.chmod(0o600)
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _taken(host: str, port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as probe:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def prepare_syslog(data_dir: Path, demo_key: str) -> tuple[dict[str, str], str]:
    """The environment for `logplane syslog` and the lines the banner prints; ({}, why) when it cannot run."""
    from src.entrypoints.settings import SyslogSettings

    env: dict[str, str] = {}
    if "LOGPLANE_SYSLOG_TLS_PORTS" not in os.environ:
        env["LOGPLANE_SYSLOG_TLS_PORTS"] = "[6514]"
    if not os.environ.get("LOGPLANE_SYSLOG_TLS_CERT_FILE"):
        cert, key = _certificate(data_dir / "syslog-tls")
        env["LOGPLANE_SYSLOG_TLS_CERT_FILE"] = str(cert)
        env["LOGPLANE_SYSLOG_TLS_KEY_FILE"] = str(key)
    tls_ports = json.loads(env.get("LOGPLANE_SYSLOG_TLS_PORTS", "null")) or None
    overrides = {"tls_ports": tls_ports} if tls_ports is not None else {}
    if "LOGPLANE_SYSLOG_TLS_CERT_FILE" in env:
        overrides |= {
            "tls_cert_file": env["LOGPLANE_SYSLOG_TLS_CERT_FILE"],
            "tls_key_file": env["LOGPLANE_SYSLOG_TLS_KEY_FILE"],
        }
    settings = SyslogSettings(**overrides)
    streams = [*settings.tcp_ports, *settings.tls_ports]
    busy = [f"tcp {p}" for p in streams if _taken(settings.host, p, socket.SOCK_STREAM)]
    busy += [f"udp {p}" for p in settings.udp_ports if _taken(settings.host, p, socket.SOCK_DGRAM)]
    if busy:
        return {}, (
            f"syslog: not started, {', '.join(busy)} on {settings.host} already in use "
            "(choose others with LOGPLANE_SYSLOG_TCP_PORTS / _UDP_PORTS / _TLS_PORTS, e.g. '[15514]')."
        )
    if "LOGPLANE_SYSLOG_PORT_KEYS" not in os.environ:
        ports = {*streams, *settings.udp_ports}
        env["LOGPLANE_SYSLOG_PORT_KEYS"] = json.dumps({str(p): demo_key for p in sorted(ports)})
    where = ", ".join(
        [f"tcp {settings.host}:{p}" for p in settings.tcp_ports]
        + [f"tls {settings.host}:{p}" for p in settings.tls_ports]
        + [f"udp {settings.host}:{p}" for p in settings.udp_ports]
    )
    example = ""
    if settings.tcp_ports:
        example = (
            f"\n  logger --tcp -n {settings.host} -P {settings.tcp_ports[0]} --rfc5424 -t demo 'hello from syslog'"
        )
    return env, f"Syslog listens on {where} (the demo tenant's ports), e.g.:{example}"


def wait_listening(child: subprocess.Popen[bytes], note: str, timeout: float = 30.0) -> str:
    """Wait for the syslog child's listeners (its first stream port accepting), so that the banner
    is true when printed; the note to print (an explanation when the child failed instead)."""
    from src.entrypoints.settings import SyslogSettings

    settings = SyslogSettings()
    ports = [*settings.tcp_ports, *settings.tls_ports]
    deadline = time.monotonic() + timeout
    while ports and time.monotonic() < deadline:
        if child.poll() is not None:
            return f"syslog: the listener exited with {child.returncode} at start; see the lines above."
        try:
            with socket.create_connection((settings.host, ports[0]), timeout=1):
                return note
        except OSError:
            time.sleep(0.2)  # polling a child's start-up: nothing to wait on but its port
    return note
