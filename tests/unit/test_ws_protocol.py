"""The coalescing WebSocket transport: one write per loop turn, same bytes in the same order; text
frames built without websockets, byte for byte what it would send."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from websockets.frames import Frame, Opcode

from src.entrypoints.http.ws_protocol import CoalescingTransport, TextFrames, text_frame


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.extra = {"peername": ("127.0.0.1", 5000)}

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)


async def _next_turn() -> None:
    """Until the loop has run what was scheduled with call_soon before now (the flush)."""
    turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(turn.set_result, None)
    await turn


def _wrap(real: RecordingTransport) -> CoalescingTransport:
    return CoalescingTransport(cast(asyncio.Transport, real), asyncio.get_running_loop())


async def test_frames_of_one_turn_leave_in_one_write_in_order() -> None:
    real = RecordingTransport()
    transport = _wrap(real)
    for frame in (b"one", b"", b"two", bytearray(b"three")):
        transport.write(frame)
    assert real.writes == []  # nothing before the turn ends
    await _next_turn()
    assert real.writes == [b"onetwothree"]
    transport.write(b"four")  # the next turn: its own write
    await _next_turn()
    assert real.writes == [b"onetwothree", b"four"]


async def test_close_sends_what_was_written_first_and_nothing_after() -> None:
    real = RecordingTransport()
    transport = _wrap(real)
    transport.write(b"last frame")
    transport.write(b"close frame")
    transport.close()
    assert real.writes == [b"last frameclose frame"] and real.closed
    await _next_turn()  # the scheduled flush finds nothing, and writes nothing to a closed socket
    transport.write(b"too late")
    await _next_turn()
    assert real.writes == [b"last frameclose frame"]


async def test_everything_else_is_the_real_transports() -> None:
    real = RecordingTransport()
    transport = _wrap(real)
    assert transport.get_extra_info("peername") == ("127.0.0.1", 5000)
    assert transport.is_closing() is False


def test_a_text_frame_is_the_bytes_websockets_would_send() -> None:
    for size in (0, 1, 125, 126, 65_535, 65_536, 70_000):
        text = ("é" * size)[: size // 2] + "x" * (size - size // 2)
        expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
        assert text_frame(text) == expected, size


def test_a_shared_text_is_framed_once_and_an_equal_one_is_not_mistaken_for_it() -> None:
    frames = TextFrames(size=2)
    shared = "".join(["{", '"type":"log"', "}"])  # built at run time: not an interned constant
    first = frames.frame(shared)
    assert frames.frame(shared) is first  # framed once for every connection it goes to
    other = "".join(["{", '"type":"pong"', "}"])
    assert frames.frame(other) == text_frame(other)
    frames.frame("".join(["a", "b"]))  # evicts the oldest (shared)
    again = frames.frame(shared)
    assert again == first and again is not first
