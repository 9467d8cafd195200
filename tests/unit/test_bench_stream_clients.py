"""The live-stream benchmark's lean WebSocket reader (bench/stream_clients.py) reads what a server sends
however the bytes are split: 7/16/64-bit lengths, fragments, a ping (answered with a masked pong), close."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

from bench.stream_clients import _GUID, LeanClient


class Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def _frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        return struct.pack("!BB", first, n) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", first, 126, n) + payload
    return struct.pack("!BBQ", first, 127, n) + payload


def _unmask(frame: bytes) -> tuple[int, bytes]:
    assert frame[1] & 0x80, "a client frame must be masked"
    n = frame[1] & 0x7F
    mask, body = frame[2:6], frame[6 : 6 + n]
    return frame[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(body))


def _log(bt: float, bb: int, padding: int = 0) -> bytes:
    return b'{"type":"log","data":{"attributes":{"bt":%r,"bb":%d},"message":"%s"}}' % (bt, bb, b"x" * padding)


async def test_frames_split_anywhere_are_all_read_and_control_frames_answered() -> None:
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    stream = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "
        + accept
        + b"\r\n\r\n"
        + _frame(0x1, _log(1.5, 1))
        + _frame(0x1, _log(2.5, 2, padding=300))  # 16-bit length
        + _frame(0x9, b"hi")  # a ping between messages
        + _frame(0x1, _log(3.5, 3, padding=70_000))  # 64-bit length
        + _frame(0x1, b'{"type":"dropped","count":4}')
        + _frame(0x1, _log(4.5, 4)[:20], fin=False)  # a fragmented message
        + _frame(0x0, _log(4.5, 4)[20:])
        + _frame(0x1, b'{"type":"pong"}')
        + _frame(0x8, struct.pack("!H", 1000))
    )
    for size in (1, 7, 4096):
        client = LeanClient(b"GET / HTTP/1.1\r\n\r\n", accept)
        transport = Transport()
        client.connection_made(transport)  # type: ignore[arg-type]
        for start in range(0, len(stream), size):
            client.data_received(stream[start : start + size])
        assert client.opened.done() and client.opened.exception() is None
        assert client.received == 4 and list(client.batch) == [1, 2, 3, 4]
        assert client.dropped == 4 and client.pong.is_set() and client.other == 0
        replies: list[Any] = [_unmask(w) for w in transport.written[1:]]
        assert replies == [(0xA, b"hi"), (0x8, struct.pack("!H", 1000))]
        assert transport.closed


async def test_a_refused_handshake_fails_the_open() -> None:
    client = LeanClient(b"GET / HTTP/1.1\r\n\r\n", b"expected")
    transport = Transport()
    client.connection_made(transport)  # type: ignore[arg-type]
    client.data_received(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(client.opened.exception(), ConnectionError)
    assert transport.closed
