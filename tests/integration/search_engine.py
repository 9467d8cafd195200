"""Which search engine the integration tests run against, and a handle that can stop and start it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from src.adapters.embedded.service import RunningService, free_port

SEARCH_ENGINE_ENV = "LOGPLANE_TEST_SEARCH"  # "opensearch", "osmem", or unset: the real engine when it can run


def search_engine() -> tuple[str, str]:
    """Which engine this session tests against, and why (shown in the report header)."""
    wanted = os.environ.get(SEARCH_ENGINE_ENV, "").lower()
    if wanted == "osmem":
        return "osmem", f"{SEARCH_ENGINE_ENV}=osmem"
    from src.adapters.embedded.opensearch import opensearch_available

    missing = opensearch_available()
    if missing is None:
        return "opensearch", "Java and Maven found"
    if wanted == "opensearch":
        pytest.exit(f"{SEARCH_ENGINE_ENV}=opensearch but {missing}", returncode=2)
    return "osmem", f"FALLBACK, the real engine cannot run here: {missing}"


class SearchNode:
    """The session's search engine on a fixed port, which a test may stop and start again.

    The real OpenSearch keeps its indices on disk across a restart; osmem-server starts empty.
    """

    def __init__(self, engine: str, state_dir: Path) -> None:
        self.engine = engine
        self.state_dir = state_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.service: RunningService | None = None

    def start(self) -> None:
        if self.engine == "opensearch":
            from src.adapters.embedded.opensearch import start_opensearch

            # C1 only: half the start-up time on a busy 2-core machine; test queries are small.
            self.service = start_opensearch(self.state_dir, port=self.port, java_opts=("-XX:TieredStopAtLevel=1",))
        else:
            from src.adapters.embedded.osmem import start_osmem

            self.service = start_osmem(addr=f"127.0.0.1:{self.port}", japanese=False)

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None
