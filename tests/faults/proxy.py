"""A TCP proxy in front of one backing service, that a scenario can cut and restore.

Cutting closes every open connection (with a reset) and stops listening, which is what clients see
when a server dies or a network partitions it off; the service itself keeps its data. (A restart
that loses data is its own scenario: "opensearch restarted empty".) `retarget` points it at a
restarted server. Runs its own event loop in a thread so it keeps forwarding while the test blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
from typing import Any

from src.adapters.embedded.service import free_port


class FaultProxy:
    def __init__(
        self,
        name: str,
        *,
        target_host: str | None = None,
        target_port: int | None = None,
        target_unix: str | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self._target: tuple[Any, ...] = (target_unix,) if target_unix else (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._delay = 0.0  # seconds each chunk from a client waits before it goes on to the server
        self.sent = bytearray()  # what clients sent, while `slow`: a test waits for a command to pass
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"proxy-{name}", daemon=True)
        self._thread.start()
        self.restore()

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=10)

    async def _open_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if len(self._target) == 1:
            return await asyncio.open_unix_connection(self._target[0])
        return await asyncio.open_connection(*self._target)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._open_target()
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, upstream: bool) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if upstream and self._delay:
                        self.sent += data
                        await asyncio.sleep(self._delay)
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, upstream=True), pipe(up_reader, writer, upstream=False))
        self._writers.difference_update((writer, up_writer))

    async def _start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()  # an RST, as from a dead server, not a polite FIN
        self._writers.clear()

    def retarget(self, host: str, port: int) -> None:
        """Forward new connections to another server (a restarted one on a new port)."""
        self._target = (host, port)

    def slow(self, seconds: float) -> None:
        """Hold what clients send for `seconds` before the server gets it (a congested link, or a
        busy proxy), answers unchanged; 0 forwards at once again."""
        self._delay = seconds

    def cut(self) -> None:
        self._call(self._stop())

    def restore(self) -> None:
        self._call(self._start())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
