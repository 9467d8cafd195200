"""The real OpenSearch for the local stack: one single-node cluster on loopback, no Docker, no security.

The engine comes from `opensearch_dist` (Maven Central, cached per user). Each node gets a directory of
its own (`state_dir`): a copy of the distribution's `config/` (so nodes never write into the shared
install), `data/` and `logs/`. Data survives a stop, so a node stopped and started again on the same
directory and port comes back with its indices, which is what the outage tests rely on.

OpenSearch refuses to run as root. As root (containers, CI), the child is started in a new user
namespace (`unshare --user`): there it is uid 65534 for OpenSearch's check, while the kernel still
grants it the file access of the caller, so no user, chown or permission change is needed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx

from src.adapters.embedded.opensearch_dist import Distribution, ensure_distribution
from src.adapters.embedded.process import ChildProcess
from src.adapters.embedded.service import LaunchError, RunningService, ensure_port_free, free_port

DEFAULT_HEAP = "1g"  # a 2-core/24 GiB machine shared with PostgreSQL, the API and workers
_STOP_GRACE = 30.0  # a clean shutdown flushes the translog; SIGKILL only if it hangs


def opensearch_available() -> str | None:
    """None when the real engine can be started here, else why not (for a clear fallback message)."""
    try:
        from src.adapters.embedded.opensearch_dist import cache_root, choose, find_jdks

        version, _ = choose(find_jdks())
    except LaunchError as e:
        return str(e)
    if not (cache_root() / version / f"opensearch-{version}").exists() and shutil.which("mvn") is None:
        return "opensearch: Maven (`mvn`) is not installed; it fetches the engine from Maven Central"
    return None


def _node_config(dist: Distribution, conf: Path, *, heap: str, logs: Path, data: Path) -> None:
    """The distribution's config with the heap ours and every relative path moved into the node's dir.

    jvm.options writes the GC log and heap dumps relative to the install, which is shared and cached.
    """
    shutil.copytree(dist.home / "config", conf, dirs_exist_ok=True)
    options = (dist.home / "config" / "jvm.options").read_text()
    options = options.replace("-Xms1g", f"-Xms{heap}").replace("-Xmx1g", f"-Xmx{heap}")
    options = options.replace("file=logs/gc.log", f"file={logs}/gc.log")
    options = options.replace("HeapDumpPath=data", f"HeapDumpPath={data}")
    options = options.replace("ErrorFile=logs/", f"ErrorFile={logs}/")
    (conf / "jvm.options").write_text(options)
    (conf / "opensearch.yml").write_text("")  # every setting is passed on the command line


def start_opensearch(
    state_dir: Path,
    *,
    port: int | None = None,
    heap: str = DEFAULT_HEAP,
    version: str | None = None,
    java_opts: tuple[str, ...] = (),
    timeout: float = 180.0,
) -> RunningService:
    """Start a node on 127.0.0.1 and wait until the cluster is at least yellow.

    `port` is the HTTP port (a free one by default). Returns url `http://127.0.0.1:PORT`.
    """
    dist = ensure_distribution(version)
    state_dir = state_dir.expanduser().resolve()
    conf, data, logs = state_dir / "config", state_dir / "data", state_dir / "logs"
    for path in (data, logs):
        path.mkdir(parents=True, exist_ok=True)
    _node_config(dist, conf, heap=heap, logs=logs, data=data)
    if port is None:
        port = free_port()
    else:
        ensure_port_free("127.0.0.1", port, what="opensearch")
    settings = {
        "cluster.name": "logplane",
        "node.name": "logplane",
        "discovery.type": "single-node",
        "network.host": "127.0.0.1",
        "http.port": str(port),
        "transport.port": str(free_port()),
        "path.data": str(data),
        "path.logs": str(logs),
        # A busy shared disk past the 95 % watermark would turn every index read-only mid-test.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }
    args = [str(dist.home / "bin" / "opensearch"), *(f"-E{k}={v}" for k, v in settings.items())]
    if os.geteuid() == 0:
        unshare = shutil.which("unshare")
        if unshare is None:
            raise LaunchError("opensearch: refuses to run as root and `unshare` (util-linux) is missing")
        args = [unshare, "--user", *args]
    env = {
        "OPENSEARCH_JAVA_HOME": str(dist.jdk.home),
        "OPENSEARCH_PATH_CONF": str(conf),
        "OPENSEARCH_JAVA_OPTS": " ".join(java_opts),
    }
    child = ChildProcess(f"opensearch {dist.version}", args, log_path=logs / "stdout.log", env=env)
    url = f"http://127.0.0.1:{port}"
    child.wait_ready(lambda: _healthy(url), timeout=timeout)
    return RunningService(name="opensearch", url=url, pid=child.pid, stop=lambda: child.stop(_STOP_GRACE))


def _healthy(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/_cluster/health", params={"wait_for_status": "yellow", "timeout": "1s"})
    except httpx.HTTPError:
        return False
    return response.status_code == 200
