"""OpenSearch for the local stack: `osmem-server`, an in-memory OpenSearch-compatible server (a Go binary).

The `osmem_server` wrapper already ties the child's life to ours (`--parent-pid` plus a stdin pipe it
watches), so no extra parent-death handling is needed here. Data lives in memory only.
"""

from __future__ import annotations

from osmem_server import OsmemError, OsmemServer

from src.adapters.embedded.service import LaunchError, RunningService


def start_osmem(addr: str | None = None, *, japanese: bool = True, timeout: float = 30.0) -> RunningService:
    """Start osmem-server and wait for its ready line.

    `addr` is "HOST:PORT" to bind; by default the server picks a free port on 127.0.0.1 itself,
    which avoids the pick-then-bind race. `japanese=True` (the library default) enables kuromoji
    analysis so mappings written for OpenSearch with analysis-kuromoji work unchanged.

    Returns url `http://127.0.0.1:PORT` (as printed by the server).
    """
    try:
        server = OsmemServer.start(addr=addr, japanese=japanese, startup_timeout=timeout)
    except OsmemError as e:
        raise LaunchError(str(e)) from e  # OsmemError messages already start "osmem:"
    # close() is itself a no-op once the process has exited, so stop() stays safe after a crash.
    return RunningService(name="osmem", url=server.url, pid=server.pid, stop=server.close)
