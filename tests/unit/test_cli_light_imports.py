"""`logplane worker status` is every worker container's health check (compose and k8s), run every
30 s with a 5 s timeout next to busy workers: building the command line must not import the
composition root (sqlalchemy, opensearch-py, every adapter: 2.4 s of imports in a loaded container)."""

import subprocess
import sys

_CHECK = """
import sys
from src.entrypoints.cli.main import _parser
_parser().parse_args(["worker", "status"])
from src.entrypoints.cli import serve  # what `worker status` itself imports
heavy = sorted(m for m in ("src.entrypoints.bootstrap", "sqlalchemy", "opensearchpy", "fastapi") if m in sys.modules)
print(",".join(heavy))
"""


def test_worker_status_does_not_import_the_composition_root() -> None:
    done = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
