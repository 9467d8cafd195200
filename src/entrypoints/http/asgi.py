"""ASGI factory for uvicorn (`--factory src.entrypoints.http.asgi:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from src.entrypoints.http.app import make_app
from src.entrypoints.logging_setup import configure_logging


def create_app() -> FastAPI:
    configure_logging()
    return make_app()
