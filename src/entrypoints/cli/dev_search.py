"""The search engine of `logplane dev`: osmem-server by default (no Java needed), or the real OpenSearch.

`logplane dev --search opensearch` or `LOGPLANE_DEV_SEARCH=opensearch` asks for the real engine (from
Maven Central, cached per user, data under the dev data dir). Without Java or Maven, it says so and
falls back to osmem-server rather than failing the whole stack.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from src.adapters.embedded.service import RunningService

CHOICES = ("osmem", "opensearch")
ENV = "LOGPLANE_DEV_SEARCH"


def chosen(flag: str | None) -> str:
    choice = (flag or os.environ.get(ENV) or "osmem").lower()
    if choice not in CHOICES:
        raise SystemExit(f"{ENV} / --search must be one of {', '.join(CHOICES)}, not {choice!r}")
    return choice


def start_search(data_dir: Path, choice: str) -> tuple[RunningService, str]:
    """The started engine and one line for the banner saying what it is."""
    if choice == "opensearch":
        from src.adapters.embedded.opensearch import opensearch_available, start_opensearch

        missing = opensearch_available()
        if missing is None:
            print("starting OpenSearch (the first run fetches it from Maven Central) …", flush=True)
            service = start_opensearch(data_dir / "opensearch")
            return service, f"OpenSearch here is the real engine at {service.url}, data in {data_dir / 'opensearch'}."
        print(f"{missing}\nfalling back to osmem-server (in memory)", file=sys.stderr, flush=True)
    from src.adapters.embedded.osmem import start_osmem

    return start_osmem(japanese=False), "OpenSearch here is osmem-server: in memory, emptied on every restart."
