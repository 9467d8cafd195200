"""A/B app factory for the live stream: the real app with candidate changes switched by `BENCH_STREAM_*`.

The switches are monkeypatches, so a change can be measured against the same run's baseline:

    python bench/stream_export.py --rows 0 --factory bench.stream_ab_factory:create_app \\
        --api-env BENCH_STREAM_ENCODE_PER_CLIENT=1

- `BENCH_STREAM_ENCODE_PER_CLIENT=1`: undoes the shared encoding of a live event's frame
  (`src/usecases/live_tail.py`, `FrameCache`): the `{"type": "log", "data": event}` text is encoded
  for every client again, as before 2 Dec 2026 (the baseline of that change).

- `--ws bench.stream_ab_factory:SerializingProtocol`: the served WebSocket protocol without its own
  text framing (websockets' `Frame.serialize` per frame and connection again, as before 2 Dec
  2026; the baseline of that change).

Earlier candidates landed in `src/` and left this module: the `TailSession.next` fast path
(`get_nowait` before waiting), one write per connection per loop turn (the "cork", now
`src/entrypoints/http/ws_protocol.py`; compare with uvicorn's own protocol with
`bench/stream_export.py --ws websockets-sansio`) and encoding an event's frame once per process
(`FrameCache`; this module's ENCODE_ONCE candidate, measured and moved to `src/`).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from src.entrypoints.http.ws_protocol import CoalescingWebSocketsProtocol


class SerializingProtocol(CoalescingWebSocketsProtocol):
    """One write per connection per loop turn, but every frame serialized by websockets."""

    send = WebSocketsSansIOProtocol.send


def _encode_per_client() -> None:
    import orjson

    from src.usecases import live_tail

    def log_frame(self: live_tail.FrameCache, event: dict[str, Any]) -> str:
        return orjson.dumps({"type": "log", "data": event}).decode()

    live_tail.FrameCache.log_frame = log_frame  # type: ignore[method-assign]


def create_app() -> FastAPI:
    from bench.app_factory import create_app as real_app

    if os.environ.get("BENCH_STREAM_ENCODE_PER_CLIENT"):
        _encode_per_client()
    return real_app()
