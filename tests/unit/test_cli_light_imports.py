"""`logplane worker status` is every worker container's health check (compose and k8s), run every
30 s with a 5 s timeout next to busy workers: the command must not import the composition root or the
clients it builds (2.4 s of imports in a loaded container when the parser pulled it in)."""

import subprocess
import sys
from pathlib import Path

_CHECK = """
import sys
from src.entrypoints.cli.main import main
code = main(["worker", "status"])
heavy = ("src.entrypoints.bootstrap", "sqlalchemy", "asyncpg", "opensearchpy", "fastapi", "botocore", "aioboto3",
         "redis", "pyarrow", "sklearn")
print(code, ",".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_worker_status_imports_no_client_library(tmp_path: Path) -> None:
    env = {"LOGPLANE_WORKER_STATUS_DIR": str(tmp_path), "LOGPLANE_ENV": "dev", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, check=True, env=env)
    # 1: no worker has reported in the empty directory — the command ran to its end.
    assert done.stdout.split("\n")[-2] == "1 ", done.stdout
