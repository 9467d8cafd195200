"""The live-stream benchmark's WebSocket clients: per log frame, the latency from `bt` and the batch `bb`.

Two kinds, chosen with `bench/stream_export.py --client`:

- `lean` (default): the opening handshake written by hand on a plain `asyncio.Protocol`, then a
  minimal RFC 6455 frame reader in `data_received` — the way wrk is lean for HTTP. Server frames
  are unmasked; text/binary frames, 16/64-bit lengths, frames split across reads, fragmented
  messages, a server ping (answered with a masked pong) and close are handled. One `time.time()`
  per read (every frame of a read arrived at that instant), `bt`/`bb` regex-searched in place in the
  read buffer (no slice, no JSON).
- `websockets`: `websockets.asyncio.client.connect` and `recv()` per message, as every figure before
  2 Dec 2026 21:00 UTC was measured (keeps old figures reproducible).

Both count dropped notices (`{"type": "dropped", "count": n}`) and are admitted (a ping answered
by the server's pong) before a run starts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
import struct
import sys
import time
from array import array
from typing import Any, cast

import orjson

BT = re.compile(rb'"bt":([0-9.eE+-]+)')
BB = re.compile(rb'"bb":(\d+)')
_PING = orjson.dumps({"type": "ping"})
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CONTINUATION, _CLOSE, _PING_OP, _PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


class Counts:
    """What a client saw: latencies and batch numbers of log frames, dropped notices, other frames."""

    def __init__(self) -> None:
        self.latency = array("d")
        self.batch = array("l")
        self.received = 0
        self.dropped = 0
        self.other = 0
        self.pongs = 0
        self.target = sys.maxsize
        self.done = asyncio.Event()
        self.pong = asyncio.Event()

    def expect(self, total: int) -> None:
        self.target = total
        if self.received + self.dropped >= total:
            self.done.set()

    def _message(self, raw: bytes, t: float) -> None:
        """One text frame received at `t`: a log's latency from its `bt` and its batch `bb` (found
        in place, no JSON), or whatever else it is."""
        found = BT.search(raw)
        if found is None:
            self._not_a_log(raw)
            return
        self.received += 1
        if self.received >= self.target:
            self.done.set()
        self.latency.append(t - float(found.group(1)))
        self.batch.append(int(BB.search(raw).group(1)))  # type: ignore[union-attr]

    def _not_a_log(self, raw: bytes) -> None:
        if b'"dropped"' in raw:
            self.dropped += int(orjson.loads(raw)["count"])
            if self.received + self.dropped >= self.target:
                self.done.set()
        elif b'"pong"' in raw:
            self.pong.set()
        else:
            self.other += 1


# --------------------------------------------------------------------------------------------------
# websockets (the reference client)
# --------------------------------------------------------------------------------------------------


class WebsocketsClient(Counts):
    def __init__(self, ws: Any) -> None:
        super().__init__()
        self.ws = ws
        self.closed = False
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str, api_key: str, deflate: bool) -> WebsocketsClient:
        from websockets.asyncio.client import connect

        ws = await connect(
            url,
            additional_headers={"Authorization": f"Bearer {api_key}"},
            compression="deflate" if deflate else None,
            open_timeout=60,
            max_size=2**22,
        )
        client = cls(ws)
        client._reader = asyncio.create_task(client._run())
        return client

    async def _run(self) -> None:
        recv, now, message = self.ws.recv, time.time, self._message
        try:
            while True:
                raw = await recv(decode=False)
                message(raw, now())
        except Exception:
            self.closed = True
            self.done.set()
            self.pong.set()  # a waiting `ping` fails at once

    async def ping(self) -> None:
        await self.ws.send(_PING.decode())
        await asyncio.wait_for(self.pong.wait(), 30)
        if self.closed:
            raise ConnectionError("closed by the server")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


# --------------------------------------------------------------------------------------------------
# lean: hand-written handshake and frame reader on an asyncio Protocol
# --------------------------------------------------------------------------------------------------


def _masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame (clients must mask, RFC 6455 5.3); only small control/ping payloads here."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + body


class LeanClient(Counts, asyncio.Protocol):
    def __init__(self, request: bytes, accept: bytes) -> None:
        Counts.__init__(self)
        self._request = request
        self._accept = accept
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._handshaking = True
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(cls, url: str, api_key: str, deflate: bool) -> LeanClient:
        if deflate:
            raise ValueError("the lean client does not speak permessage-deflate: use --client websockets")
        host_port, _, path = url.removeprefix("ws://").partition("/")
        host, _, port = host_port.partition(":")
        key = base64.b64encode(os.urandom(16))
        request = (
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {api_key}\r\n\r\n"
        ).encode()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(lambda: cls(request, accept), host, int(port or 80))
        await asyncio.wait_for(asyncio.shield(client.opened), 60)
        return client

    # asyncio.Protocol ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        error = exc or ConnectionError("connection closed")
        if not self.opened.done():
            self.opened.set_exception(error)
        if not self.lost.done():
            self.lost.set_result(None)
        self.done.set()
        self.pong.set()  # a waiting `ping` fails at once (a refused stream closes right after its handshake)

    def data_received(self, data: bytes) -> None:
        t = time.time()  # every frame of this read arrived now
        buf = self._buffer + data if self._buffer else data
        if self._handshaking:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buf
                return
            self._opened(buf[: end + 4])
            buf = buf[end + 4 :]
        n = len(buf)
        pos = 0
        bt_search, bb_search = BT.search, BB.search
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            start = pos + 2
            if length == 126:
                if n - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                if n - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, pos + 2)
                start = pos + 10
            if b1 & 0x80:  # a masked server frame is a protocol error; read past its key anyway
                start += 4
            end = start + length
            if end > n:
                break
            pos = end
            opcode = b0 & 0x0F
            if b0 & 0x80 and opcode in (_TEXT, _BINARY) and not b1 & 0x80:
                found = bt_search(buf, start, end)  # in place: no copy of the payload
                if found is None:
                    self._not_a_log(buf[start:end])
                    continue
                self.received += 1
                if self.received >= self.target:
                    self.done.set()
                self.latency.append(t - float(found.group(1)))
                self.batch.append(int(bb_search(buf, start, end).group(1)))  # type: ignore[union-attr]
            else:
                self._other_frame(b0, b1, buf, start, end, t)
        self._buffer = buf[pos:] if pos < n else b""

    # the rare frames ------------------------------------------------------------------------------

    def _opened(self, head: bytes) -> None:
        self._handshaking = False
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" " or self._accept not in head:
            error = ConnectionError(f"WebSocket handshake refused: {head[:300]!r}")
            if not self.opened.done():
                self.opened.set_exception(error)
            if self._transport is not None:
                self._transport.close()
            return
        if not self.opened.done():
            self.opened.set_result(None)

    def _other_frame(self, b0: int, b1: int, buf: bytes, start: int, end: int, t: float) -> None:
        opcode = b0 & 0x0F
        payload = buf[start:end]
        if b1 & 0x80:
            mask = buf[start - 4 : start]
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if opcode in (_TEXT, _BINARY):  # the first fragment of a message, or a masked data frame
            if b0 & 0x80:
                self._message(payload, t)
            else:
                self._fragments, self._fragment_opcode = [payload], opcode
        elif opcode == _CONTINUATION:
            self._fragments.append(payload)
            if b0 & 0x80:
                whole, self._fragments = b"".join(self._fragments), []
                self._message(whole, t)
        elif opcode == _PING_OP:
            self._send(_PONG, payload)
        elif opcode == _CLOSE:
            self._send(_CLOSE, payload[:2])  # echo the status code: the closing handshake's answer
            if self._transport is not None:
                self._transport.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_masked_frame(opcode, payload))

    # the benchmark's side ------------------------------------------------------------------------

    async def ping(self) -> None:
        self._send(_TEXT, _PING)
        await asyncio.wait_for(self.pong.wait(), 30)
        if self.lost.done():
            raise ConnectionError("closed by the server")

    async def close(self) -> None:
        self._send(_CLOSE, struct.pack("!H", 1000))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.lost), 5)
        if self._transport is not None and not self.lost.done():
            self._transport.abort()


CLIENTS: dict[str, type[WebsocketsClient] | type[LeanClient]] = {"lean": LeanClient, "websockets": WebsocketsClient}
