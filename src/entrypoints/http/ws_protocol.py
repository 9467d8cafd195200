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

A text frame's bytes are also built here, not by websockets' `Frame.serialize` (a sixth of the API's
CPU per message in a py-spy profile at 500 events/s): a server frame is a 2-10 byte header and the
UTF-8 text, unmasked and, without a negotiated extension (permessage-deflate), unchanged. The same
text sent to many connections (a live event's frame, encoded once per process by
`src.usecases.live_tail.FrameCache`) is framed once: `TextFrames` remembers the last texts by
identity. Anything else (binary, close, a compressed connection, a connection not open) takes
uvicorn's and websockets' own path.

Served by `logplane api` (src/entrypoints/cli/serve.py) and `logplane dev`; benchmarks start
uvicorn with it too (bench/harness/stack.py).
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from src.usecases.identity_memo import IdentityMemo
from src.usecases.live_tail import FRAME_CACHE_SIZE

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


def text_frame(text: str) -> bytes:
    """A final, unmasked text frame (RFC 6455 5.2), as a server sends it without extensions."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x81, n) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class TextFrames(IdentityMemo[str, bytes]):
    """The frames of the last texts sent, by identity: a text shared by the connections of a fan-out
    is framed once."""

    def __init__(self, size: int = FRAME_CACHE_SIZE) -> None:  # the FrameCache's texts: as many
        super().__init__(text_frame, size)

    def frame(self, text: str) -> bytes:
        return self.get(text)


_FRAMES = TextFrames()  # per process, like the FrameCache whose texts it frames


class CoalescingWebSocketsProtocol(WebSocketsSansIOProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        coalescing = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, coalescing))

    async def send(self, message: Any) -> None:
        text = message.get("text") if message["type"] == "websocket.send" else None
        if text is None:
            await super().send(message)
            return
        await self.writable.wait()  # flow control, as in uvicorn's send
        conn = self.conn
        if (
            self.disconnected
            or not self.handshake_complete
            or self.close_sent
            or self.initial_response is not None
            or conn.state is not State.OPEN
            or conn.extensions
            or conn.expect_continuation_frame
        ):
            await super().send(message)  # uvicorn's own path decides, and raises what it raises
            return
        self.transport.write(_FRAMES.frame(text))
