"""A/B app factory for the live stream: the real app with candidate fixes switched on by `BENCH_STREAM_*`.

The fixes are monkeypatches, so they can be measured before anyone edits `src/`:

    python bench/stream_export.py --rows 0 --factory bench.stream_ab_factory:create_app \\
        --api-env BENCH_STREAM_FASTPATH=1 --api-env BENCH_STREAM_ENCODE_ONCE=1 --api-env BENCH_STREAM_CORK=1

- `BENCH_STREAM_FASTPATH=1`: `TailSession.next` takes a queued event with `get_nowait()` and only
  falls back to `asyncio.wait_for(queue.get(), 15 s)` when the queue is empty. On Python 3.11
  `wait_for` wraps the `get()` in a new Task plus a timer for every single message; with the fast
  path a client's send loop drains what is queued without yielding.
- `BENCH_STREAM_ENCODE_ONCE=1`: the `{"type": "log", "data": event}` text is encoded once per event
  and process instead of once per event and client (the bus hands the same dict to every session).
- `BENCH_STREAM_CORK=1`: the WebSocket protocol's transport buffers writes made within one event-loop
  iteration and hands them to the kernel as one `write()`, instead of one `send()` syscall per
  frame (frames and the wire format are unchanged). It pays off together with the fast path, which
  lets one client's queued frames be written in one iteration.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from fastapi import FastAPI


def _fast_path() -> None:
    from src.usecases.live_tail import TailSession

    async def next_message(self: Any, wait: float) -> dict[str, Any] | None:
        if self._dropped and not self._queue.full():
            count, self._dropped = self._dropped, 0
            return {"type": "dropped", "count": count}
        try:
            event = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            try:
                event = await asyncio.wait_for(self._queue.get(), timeout=wait)
            except TimeoutError:
                return None
        return {"type": "log", "data": event}

    TailSession.next = next_message  # type: ignore[method-assign]


def _encode_once() -> None:
    import orjson

    from src.entrypoints.http.routers import stream

    cache: dict[int, tuple[Any, bytes]] = {}

    class CachingOrjson:
        JSONDecodeError = orjson.JSONDecodeError
        loads = staticmethod(orjson.loads)

        @staticmethod
        def dumps(message: Any) -> bytes:
            data = message.get("data") if type(message) is dict and message.get("type") == "log" else None
            if data is None:
                return orjson.dumps(message)
            hit = cache.get(id(data))
            if hit is not None and hit[0] is data:
                return hit[1]
            encoded = orjson.dumps(message)
            if len(cache) > 50_000:
                cache.clear()
            cache[id(data)] = (data, encoded)
            return encoded

    stream.orjson = CachingOrjson  # type: ignore[assignment]


class _CorkedTransport:
    """Writes within one loop iteration become one `transport.write`; everything else is delegated."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._buffer: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._buffer:
            self._loop.call_soon(self._flush)
        self._buffer.append(data)

    def _flush(self) -> None:
        data, self._buffer = b"".join(self._buffer), []
        if data and not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _cork() -> None:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    original = WebSocketsSansIOProtocol.connection_made

    def connection_made(self: Any, transport: Any) -> None:
        original(self, transport)
        self.transport = _CorkedTransport(self.transport, asyncio.get_running_loop())

    WebSocketsSansIOProtocol.connection_made = connection_made  # type: ignore[method-assign]


def create_app() -> FastAPI:
    from bench.app_factory import create_app as real_app

    if os.environ.get("BENCH_STREAM_FASTPATH"):
        _fast_path()
    if os.environ.get("BENCH_STREAM_ENCODE_ONCE"):
        _encode_once()
    if os.environ.get("BENCH_STREAM_CORK"):
        _cork()
    return real_app()
