"""`.logplane/dev.json`: what `logplane dev` leaves for the other commands of the same checkout.

`logplane dev` writes its services' URLs and the dev secrets there while it runs; `logplane tenants`,
`keys` and `migrate` then reach that stack without any variable set. Variables set in the
environment always win: the file only fills what they leave out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

STATE_FILE = "dev.json"
DEFAULT_DATA_DIR = ".logplane"
# The services' names as the processes read them (src.entrypoints.settings).
SERVICE_VARIABLES = (
    "LOGPLANE_DATABASE_URL",
    "LOGPLANE_REDIS_URL",
    "LOGPLANE_AWS_ENDPOINT_URL",
    "LOGPLANE_S3_ENDPOINT_URL",
    "LOGPLANE_OPENSEARCH_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
)
# The same service named the ecosystem's way also counts as "set in the environment".
_ALIASES = {
    "LOGPLANE_DATABASE_URL": "DATABASE_URL",
    "LOGPLANE_REDIS_URL": "REDIS_URL",
    "LOGPLANE_AWS_ENDPOINT_URL": "AWS_ENDPOINT_URL",
    "LOGPLANE_OPENSEARCH_URL": "OPENSEARCH_URL",
}


def state_path(data_dir: str | None = None) -> Path:
    return Path(data_dir or os.environ.get("LOGPLANE_DATA_DIR") or DEFAULT_DATA_DIR) / STATE_FILE


def load(path: Path) -> dict[str, Any]:
    if path.exists():
        loaded: dict[str, Any] = orjson.loads(path.read_bytes())
        return loaded
    return {}


def save(path: Path, data: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    path.chmod(0o600)  # it holds the admin token and a key


def _set(name: str) -> bool:
    return bool(os.environ.get(name) or (name in _ALIASES and os.environ.get(_ALIASES[name])))


def adopt_running_stack(data_dir: str | None = None) -> Path | None:
    """Fill the environment from a running `logplane dev`'s state, unless it names a database itself.

    Returns the state file used, or None (no dev stack recorded, or the environment is explicit)."""
    path = state_path(data_dir)
    state = load(path)
    services: dict[str, str] = state.get("services") or {}
    if not services or _set("LOGPLANE_DATABASE_URL"):
        return None
    for name, value in services.items():
        if not _set(name):
            os.environ[name] = value
    # The dev stack's own rules and secrets, so Settings accepts them as `logplane dev` did.
    os.environ.setdefault("LOGPLANE_ENV", "dev")
    if state.get("admin_token"):
        os.environ.setdefault("LOGPLANE_ADMIN_TOKEN", state["admin_token"])
    if state.get("jwt_secret"):
        os.environ.setdefault("LOGPLANE_JWT_SECRET", state["jwt_secret"])
    if state.get("alerts_secret_key"):
        os.environ.setdefault("LOGPLANE_ALERTS_SECRET_KEY", state["alerts_secret_key"])
    return path
