"""The machinery every benchmark shares, once: the services it starts (`stack`), CPU accounting and
the quiet-machine wait (`cpu`), generated events (`data`), py-spy (`profile`), and common helpers.

A benchmark script imports from here; what is left in the script is what it measures.
"""

from bench.harness.common import (
    ADMIN_TOKEN,
    COPY_COLUMNS,
    HOST,
    JWT_SECRET,
    ROOT,
    SEVERITY_NUMBERS,
    asyncpg_dsn,
    float_list,
    int_list,
    key_value,
    log,
    machine,
    pct,
    script_setup,
    server_version,
    write_keeping,
)
from bench.harness.cpu import CpuMeter, machine_busy, processes, tree, wait_for_quiet
from bench.harness.data import copy_records, copy_tail, make_events, ndjson_bodies
from bench.harness.profile import Profiler, summarize_profile
from bench.harness.stack import (
    ApiServer,
    Backing,
    Tenant,
    count_rows,
    create_tenant,
    empty_logs,
    free_port,
    run_cleanups,
    start_backing,
    start_moto,
    start_postgres,
    start_redis,
)

__all__ = [
    "ADMIN_TOKEN",
    "COPY_COLUMNS",
    "HOST",
    "JWT_SECRET",
    "ROOT",
    "SEVERITY_NUMBERS",
    "ApiServer",
    "Backing",
    "CpuMeter",
    "Profiler",
    "Tenant",
    "asyncpg_dsn",
    "copy_records",
    "copy_tail",
    "count_rows",
    "create_tenant",
    "empty_logs",
    "float_list",
    "free_port",
    "int_list",
    "key_value",
    "log",
    "machine",
    "machine_busy",
    "make_events",
    "ndjson_bodies",
    "pct",
    "processes",
    "run_cleanups",
    "script_setup",
    "server_version",
    "start_backing",
    "start_moto",
    "start_postgres",
    "start_redis",
    "summarize_profile",
    "tree",
    "wait_for_quiet",
    "write_keeping",
]
