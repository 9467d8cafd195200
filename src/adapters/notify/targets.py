"""Where a notification may go: public addresses only, unless the deployment allows private ones
(`LOGPLANE_ALERTS_ALLOW_PRIVATE_TARGETS`), so a tenant cannot aim the platform at its own network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from src.domain.ports.notification_sender import DeliveryFailed


async def require_public(host: str, port: int) -> None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise DeliveryFailed(f"cannot resolve {host}: {e}") from e
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise DeliveryFailed(
                f"{host} resolves to a non-public address ({address}); set LOGPLANE_ALERTS_ALLOW_PRIVATE_TARGETS "
                "to send there"
            )
