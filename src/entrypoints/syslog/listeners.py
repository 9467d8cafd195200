"""Asyncio servers for syslog: TCP and TLS streams (framing per RFC 6587), UDP datagrams (RFC 5426)."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from src.domain.parsing.syslog_framing import FrameDecoder
from src.domain.ports.syslog_metrics import SyslogMetrics
from src.entrypoints.settings import SyslogSettings
from src.entrypoints.syslog.pump import IngestPump
from src.entrypoints.syslog.tls import client_common_name, server_context
from src.usecases.ingest_syslog import SyslogMessage

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024


@dataclass
class Listening:
    """Where the listener ended up (ports given as 0 get one from the OS)."""

    host: str
    tcp: list[int] = field(default_factory=list)
    udp: list[int] = field(default_factory=list)
    tls: list[int] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"tcp {self.host}:{p}" for p in self.tcp]
        parts += [f"tls {self.host}:{p}" for p in self.tls]
        parts += [f"udp {self.host}:{p}" for p in self.udp]
        return ", ".join(parts) or "nowhere (no ports configured)"


def _decode(frame: bytes) -> str:
    # RFC 5424 MSG may be any octets; what is not UTF-8 is kept visibly rather than refused.
    return frame.decode("utf-8", "replace")


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener, credential: str | None) -> None:
        self._listener = listener
        self._credential = credential

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._listener.datagram(data, self._credential)


class SyslogListener:
    def __init__(self, settings: SyslogSettings, pump: IngestPump, metrics: SyslogMetrics) -> None:
        self._settings = settings
        self._pump = pump
        self._metrics = metrics
        self._servers: list[asyncio.Server] = []
        self._transports: list[asyncio.DatagramTransport] = []
        self._connections: set[asyncio.Task[Any]] = set()

    def _port_key(self, port: int) -> str | None:
        key = self._settings.port_keys.get(port)
        return key.get_secret_value() if key is not None else None

    async def start(self) -> Listening:
        s = self._settings
        loop = asyncio.get_running_loop()
        listening = Listening(host=s.host)
        self._pump.start()
        for port in s.tcp_ports:
            listening.tcp.append(await self._stream(port, "tcp", None))
        if s.tls_ports:
            context = server_context(s)
            for port in s.tls_ports:
                listening.tls.append(await self._stream(port, "tls", context))
        for port in s.udp_ports:
            protocol = functools.partial(_Datagrams, self, self._port_key(port))
            transport, _ = await loop.create_datagram_endpoint(protocol, local_addr=(s.host, port))
            self._transports.append(transport)
            listening.udp.append(transport.get_extra_info("sockname")[1])
        return listening

    async def _stream(self, port: int, transport: str, context: Any) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._connections.add(task)
            try:
                await self._read(reader, writer, port, transport)
            except (ConnectionError, OSError) as e:
                logger.info("syslog %s connection ended: %s", transport, type(e).__name__)
            finally:
                self._connections.discard(task)
                writer.close()

        tls: dict[str, Any] = {"ssl": context, "ssl_handshake_timeout": 30} if context is not None else {}
        server = await asyncio.start_server(handle, self._settings.host, port, limit=READ_CHUNK, **tls)
        self._servers.append(server)
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, transport: str
    ) -> None:
        credential = self._port_key(port)
        if transport == "tls":
            name = client_common_name(writer.get_extra_info("ssl_object"))
            mapped = self._settings.tls_client_keys.get(name) if name is not None else None
            if mapped is not None:
                credential = mapped.get_secret_value()
        decoder = FrameDecoder(max_frame_bytes=self._settings.max_message_bytes)
        while True:
            data = await reader.read(READ_CHUNK)
            frames = decoder.feed(data) if data else decoder.finish()
            if decoder.truncated:
                self._metrics.dropped(transport=transport, reason="truncated", messages=decoder.truncated)
                decoder.truncated = 0
            if frames:
                self._metrics.received(transport=transport, messages=len(frames))
            for frame in frames:
                # Waits while ingest is saturated: this connection is then not read (backpressure).
                await self._pump.put(SyslogMessage(text=_decode(frame), transport=transport, credential=credential))
            if not data:
                return

    def datagram(self, data: bytes, credential: str | None) -> None:
        self._metrics.received(transport="udp", messages=1)
        frame = data[: self._settings.max_message_bytes].rstrip(b"\r\n\x00")
        if not frame.strip():
            return
        if len(data) > self._settings.max_message_bytes:
            self._metrics.dropped(transport="udp", reason="truncated", messages=1)
        if not self._pump.offer(SyslogMessage(text=_decode(frame), transport="udp", credential=credential)):
            self._metrics.dropped(transport="udp", reason="queue_full", messages=1)

    async def stop(self) -> None:
        """Stop accepting, let open connections go, ingest what was queued."""
        for server in self._servers:
            server.close()
        for transport in self._transports:
            transport.close()
        for task in list(self._connections):
            task.cancel()
        for server in self._servers:
            await server.wait_closed()
        await self._pump.stop()
