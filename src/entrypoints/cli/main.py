"""`logplane` console script: dev, api, worker, syslog, migrate, provision, tenants, keys, tasks.

Every command that creates or lists something takes `--json` and then prints one JSON object.
`tenants`, `keys` and `migrate` reach a running `logplane dev` by themselves (its `.logplane/dev.json`)
unless the environment names a database.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import orjson

# workers.registry.WORKERS, spelled out so that `--help` need not import every worker (a second and
# a half); tests/e2e/test_cli.py keeps the two in step.
WORKER_NAMES = ("alerts", "anomalies", "archive", "cleanup", "export", "index", "ingest", "maintenance")


def _print_json(value: object) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _tenant_id(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a tenant id: {value!r}") from e


def _version() -> str:
    try:
        return version("logplane")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="logplane", description="Multi-tenant log platform")
    parser.add_argument("--version", action="version", version=f"logplane {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run the whole platform locally on embedded services")
    dev.add_argument("--data-dir", default=".logplane", help="where data and dev credentials live")
    # No defaults here: LOGPLANE_API_HOST / LOGPLANE_API_PORT apply unless an option is given.
    dev.add_argument("--host", default=None, help="default: LOGPLANE_API_HOST, else 127.0.0.1")
    dev.add_argument("--port", type=int, default=None, help="default: LOGPLANE_API_PORT, else 8080")
    dev.add_argument("--no-workers", action="store_true", help="start the API only")
    dev.add_argument(
        "--no-syslog",
        action="store_true",
        help="do not start the syslog listener (default: TCP/UDP 5514, TLS 6514 on 127.0.0.1; LOGPLANE_SYSLOG_*)",
    )
    dev.add_argument(
        "--search",
        choices=("osmem", "opensearch"),
        default=None,
        help="search engine: osmem-server (default, in memory) or the real OpenSearch (needs Java and Maven);"
        " also LOGPLANE_DEV_SEARCH; OPENSEARCH_URL wins over both",
    )

    dev.add_argument(
        "--aws",
        choices=("moto", "localstack"),
        default=None,
        help="S3/SQS emulator: moto (default; archives kept across restarts) or LocalStack, as the container"
        " deployment uses (needs a Python >= 3.13, installs itself on first use); also LOGPLANE_DEV_AWS;"
        " AWS_ENDPOINT_URL wins over both",
    )

    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default=None)
    api.add_argument("--port", type=int, default=None)
    api.add_argument("--workers", type=int, default=None, help="uvicorn worker processes")

    sub.add_parser(
        "syslog",
        help="run the syslog listener (TCP, TLS, UDP; RFC 5424 and 3164)",
        description="Ports, TLS and tenant mapping from LOGPLANE_SYSLOG_* (see docs/syslog.md).",
    )

    names = ", ".join(WORKER_NAMES)
    worker = sub.add_parser(
        "worker", help=f"run background workers ({names}, or all)", description=f"Workers: {names}; or all of them."
    )
    worker.add_argument(
        "name", metavar="name", choices=[*WORKER_NAMES, "all", "status"], help=f"one of: {names}, all; or status"
    )
    worker.add_argument("--json", action="store_true", help="with status: print JSON")

    tasks = sub.add_parser("tasks", help="operate on background tasks").add_subparsers(dest="action", required=True)
    redrive = tasks.add_parser("redrive", help="move dead-lettered messages of unfinished tasks back to their queues")
    redrive.add_argument("--json", action="store_true")

    sub.add_parser("migrate", help="apply database migrations")
    provision = sub.add_parser(
        "provision",
        help="create what the platform needs, idempotently: migrations, queues and dead-letter queues,"
        " archive bucket, search index template",
    )
    provision.add_argument("--skip-migrations", action="store_true", help="only the queues, bucket and template")
    provision.add_argument("--json", action="store_true")

    anomalies = sub.add_parser("anomalies", help="anomaly detection").add_subparsers(dest="action", required=True)
    run_now = anomalies.add_parser("run", help="score a tenant's windows since its last run, now")
    run_now.add_argument("--tenant", required=True, type=_tenant_id, help="the tenant's id")
    run_now.add_argument("--json", action="store_true")

    tenants = sub.add_parser("tenants", help="manage tenants").add_subparsers(dest="action", required=True)
    create = tenants.add_parser("create", help="create a tenant and its first admin key")
    create.add_argument("--name", required=True)
    create.add_argument("--retention-days", type=int, default=None)
    create.add_argument("--json", action="store_true")
    tenants.add_parser("list", help="list tenants").add_argument("--json", action="store_true")

    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(dest="action", required=True)
    kc = keys.add_parser("create", help="create an API key")
    kc.add_argument("--tenant", required=True, help="tenant id")
    kc.add_argument("--name", required=True)
    kc.add_argument("--scopes", default="ingest,read", help="comma-separated: ingest,read,edit,admin")
    kc.add_argument("--json", action="store_true")
    kl = keys.add_parser("list", help="list a tenant's API keys (never their secrets)")
    kl.add_argument("--tenant", required=True, help="tenant id")
    kl.add_argument("--json", action="store_true")
    kr = keys.add_parser("revoke", help="revoke an API key")
    kr.add_argument("--tenant", required=True, help="tenant id")
    kr.add_argument("--key-id", required=True)
    kr.add_argument("--json", action="store_true")
    from src.entrypoints.cli.users import add_parser as add_users_parser

    add_users_parser(sub)
    return parser


def _quiet_admin_output() -> None:
    """One-shot commands print their answer, not start-up chatter (third-party deprecation warnings,
    the server-side warning about an unset JWT secret)."""
    # Its "tokens die with this process" warning concerns servers, not a command that issues none.
    logging.getLogger("src.entrypoints.bootstrap").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    try:
        return _run(argv)
    except ValidationError as e:
        # A settings error is the operator's to fix: say which variable and why, not a traceback.
        for error in e.errors():
            print(f"logplane: configuration error: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    from src.entrypoints.logging_setup import configure_logging

    configure_logging()
    for name in ("alembic", "alembic.runtime.plugins", "alembic.runtime.migration"):
        # `setup plugin …` and `Context impl …` on every run (dev migrates at start) tell nobody anything.
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.command == "dev":
        from src.entrypoints.cli.dev import run_dev
        from src.entrypoints.settings import ApiSettings

        api = ApiSettings()  # the environment, then the built-in defaults; an option beats both
        host = args.host or api.host
        port = args.port if args.port is not None else api.port
        import os

        aws = args.aws or os.environ.get("LOGPLANE_DEV_AWS", "moto")
        if aws not in ("moto", "localstack"):
            print(f"logplane: LOGPLANE_DEV_AWS must be moto or localstack, not {aws!r}", file=sys.stderr)
            return 2
        return run_dev(
            data_dir=args.data_dir,
            host=host,
            port=port,
            workers=not args.no_workers,
            search=args.search,
            syslog=not args.no_syslog,
            aws=aws,
        )
    if args.command == "api":
        from src.entrypoints.cli.serve import serve_api

        return serve_api(host=args.host, port=args.port, workers=args.workers)
    if args.command == "syslog":
        from src.entrypoints.syslog.run import run_syslog

        return run_syslog()
    if args.command == "worker" and args.name == "status":
        from src.entrypoints.cli.serve import worker_status

        return worker_status(args.json)
    if args.command == "worker":
        from src.entrypoints.cli.serve import run_workers

        return run_workers(args.name)
    _quiet_admin_output()
    from src.entrypoints.cli.dev_state import adopt_running_stack

    if adopt_running_stack() is None:
        logging.getLogger(__name__).debug("no running dev stack recorded; using the environment")
    from src.entrypoints.cli import admin

    if args.command == "migrate":
        return admin.migrate()
    if args.command == "provision":
        return admin.provision(args, _print_json)
    if args.command == "tenants":
        return admin.run(admin.tenants(args, _print_json))
    if args.command == "keys":
        return admin.run(admin.keys(args, _print_json))
    if args.command == "tasks":
        return admin.run(admin.redrive(args, _print_json))
    if args.command == "anomalies":
        return admin.run(admin.detect_anomalies(args, _print_json))
    if args.command == "users":
        from src.entrypoints.cli.users import users

        return admin.run(users(args, _print_json))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
