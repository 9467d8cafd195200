"""The fault suite: each dependency cut and each process killed (-9), under retrying load.

Fails on any acknowledged event lost, duplicated, not searchable within 60 s of the fault's end, or
missing from the live stream of a client that resumes with Last-Event-ID (gaps).
`FAULTS_ROUNDS=N` repeats every scenario N times and `FAULTS_PG_KILLS=N` kill -9s the real postmaster
N times in a row in its scenario (the soak version; CI runs one round of each, a few minutes).
"""

from __future__ import annotations

import os

from tests.faults.conftest import print_logs
from tests.faults.platform import Platform
from tests.faults.scenarios import (
    Fault,
    Result,
    cut,
    cut_aws_during_cleanup,
    kill9,
    kill9_postgres,
    restart_search_empty,
    run_scenario,
    table,
)

OUTAGE = float(os.environ.get("FAULTS_OUTAGE_SECONDS", "6"))
ROUNDS = int(os.environ.get("FAULTS_ROUNDS", "1"))
PG_KILLS = int(os.environ.get("FAULTS_PG_KILLS", "1"))

SCENARIOS: list[tuple[str, Fault]] = [
    ("kill -9 index worker", kill9("index")),
    ("kill -9 api", kill9("api")),
    ("postgres down", cut("postgres", OUTAGE)),
    ("kill -9 postgres", kill9_postgres(down_for=2.0, kills=PG_KILLS)),
    ("opensearch down", cut("opensearch", OUTAGE)),
    ("opensearch restarted empty", restart_search_empty(OUTAGE)),
    ("s3/sqs down + cleanup", cut_aws_during_cleanup(OUTAGE)),
    ("redis down", cut("redis", OUTAGE)),
    ("kill -9 archive worker", kill9("archive")),
    ("kill -9 cleanup worker", kill9("cleanup")),
    ("kill -9 export worker", kill9("export")),
    ("kill -9 ingest worker", kill9("ingest")),
    ("kill -9 maintenance worker", kill9("maintenance")),
]


async def test_every_acknowledged_event_survives_every_fault(platform: Platform) -> None:
    api_key = await platform.create_tenant()
    results: list[Result] = []
    for round_ in range(ROUNDS):
        for name, fault in SCENARIOS:
            label = name if ROUNDS == 1 else f"{name} #{round_ + 1}"
            results.append(await run_scenario(platform, api_key, label, fault))
    print("\n" + table(results))
    failed = [r.scenario for r in results if not r.ok]
    if failed:
        print_logs(platform.log_dir)
    assert not failed, f"acknowledged events lost, duplicated or not searchable in time: {failed}\n{table(results)}"
    for name in platform.processes:
        assert platform.alive(name), f"{name} exited during the suite"
