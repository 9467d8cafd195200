"""The uvicorn factory the benchmark starts: the real app, configured from `LOGPLANE_*` variables.

`python -m uvicorn --factory bench.app_factory:create_app` (run from the repository root).
"""

from __future__ import annotations

import os

from fastapi import FastAPI


def create_app() -> FastAPI:
    from src.entrypoints.http.app import make_app
    from src.entrypoints.logging_setup import configure_logging
    from src.entrypoints.settings import Settings

    configure_logging(os.environ.get("LOGPLANE_LOG_LEVEL", "WARNING"))
    return make_app(Settings())
