"""uvicorn's WebSocket protocol with one `write` per connection per turn of the event loop.

A live-tail client gets a frame per event, and uvicorn writes each frame to the socket at once: one
syscall per frame, which was half of the API's CPU time fanning events out to 100 clients
(bench/results/stream_export.md). Here the frames a connection sends in one turn of the loop (a
burst of events handed over together) are joined and written once, at the end of that turn — the
same bytes in the same order, at most one loop turn later. Measured (same run, 100 clients): 9 µs
of CPU per delivered message instead of 15-17, 0.10 write syscalls instead of 1.00. The cost: a
connection's first frame of a turn waits for the turn's end, so the clients of a fan-out get their
data together rather than one after another (on one shared 2-core box this showed as a higher p99 at
200 events/s, and a lower one at 500, where the API saturates). Nothing else of uvicorn's protocol changes:
flow control still comes from the real transport (its buffer pauses and resumes the sender).

Served by `logplane api` (src/entrypoints/cli/serve.py) and `logplane dev`; benchmarks start
uvicorn with it too (bench/harness/stack.py).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

IMPORT_PATH = "src.entrypoints.http.ws_protocol:CoalescingWebSocketsProtocol"


class CoalescingTransport:
    """A transport whose writes of one loop turn leave as one write; anything else is the real one's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self._pending.append(bytes(data))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()  # a close frame written just before is sent before the socket closes
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingWebSocketsProtocol(WebSocketsSansIOProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        coalescing = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, coalescing))
