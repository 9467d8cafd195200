"""JSON responses rendered by orjson (UUIDs and datetimes natively, and fast), timestamps with `Z`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from src.domain.wire import to_json


class JsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return to_json(content)
