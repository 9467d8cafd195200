"""The TLS side of the listener (RFC 5425): the server context, and a client certificate's tenant."""

from __future__ import annotations

import ssl
from typing import Any

from src.entrypoints.settings import SyslogSettings


def server_context(settings: SyslogSettings) -> ssl.SSLContext:
    assert settings.tls_cert_file and settings.tls_key_file
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.tls_cert_file, settings.tls_key_file)
    if settings.tls_client_ca_file:
        context.load_verify_locations(settings.tls_client_ca_file)
        # Optional unless required: a sender without a certificate may still present a token.
        context.verify_mode = ssl.CERT_REQUIRED if settings.tls_require_client_cert else ssl.CERT_OPTIONAL
    return context


def client_common_name(ssl_object: Any) -> str | None:
    """The subject CN of a client certificate the handshake verified; None without one.

    Only a verified certificate has a parsed `getpeercert()` (an unverified one gives `{}`), so a
    self-made certificate never names a tenant."""
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    for rdn in (cert or {}).get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None
