"""A/B app factory for the live stream: the real app with candidate fixes switched on by `BENCH_STREAM_*`.

The fixes are monkeypatches, so they can be measured before anyone edits `src/`:

    python bench/stream_export.py --rows 0 --factory bench.stream_ab_factory:create_app \\
        --api-env BENCH_STREAM_ENCODE_ONCE=1

- `BENCH_STREAM_ENCODE_ONCE=1`: the `{"type": "log", "data": event}` text is encoded once per event
  and process instead of once per event and client (the bus hands the same dict to every session).

Two earlier candidates landed in `src/` and left this module: the `TailSession.next` fast path
(`get_nowait` before waiting) and one write per connection per loop turn (the "cork", now
`src/entrypoints/http/ws_protocol.py`; compare with uvicorn's own protocol with
`bench/stream_export.py --ws websockets-sansio`).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI


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


def create_app() -> FastAPI:
    from bench.app_factory import create_app as real_app

    if os.environ.get("BENCH_STREAM_ENCODE_ONCE"):
        _encode_once()
    return real_app()
