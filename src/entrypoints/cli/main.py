"""`logplane` console script: dev, api, worker, migrate, tenants, keys.

Every command that creates something takes `--json` and then prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import orjson


def _print_json(value: object) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="logplane", description="Multi-tenant log platform")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run the whole platform locally on embedded services")
    dev.add_argument("--data-dir", default=".logplane", help="where data and dev credentials live")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8080)
    dev.add_argument("--no-workers", action="store_true", help="start the API only")
    dev.add_argument(
        "--search",
        choices=("osmem", "opensearch"),
        default=None,
        help="search engine: osmem-server (default, in memory) or the real OpenSearch (needs Java and Maven);"
        " also LOGPLANE_DEV_SEARCH; OPENSEARCH_URL wins over both",
    )

    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default=None)
    api.add_argument("--port", type=int, default=None)
    api.add_argument("--workers", type=int, default=None, help="uvicorn worker processes")

    worker = sub.add_parser("worker", help="run background workers")
    worker.add_argument("name", help="a worker name, or 'all'")

    sub.add_parser("migrate", help="apply database migrations")

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
    kc.add_argument("--scopes", default="ingest,read", help="comma-separated: ingest,read,admin")
    kc.add_argument("--json", action="store_true")
    kr = keys.add_parser("revoke", help="revoke an API key")
    kr.add_argument("--tenant", required=True, help="tenant id")
    kr.add_argument("--key-id", required=True)
    kr.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from src.entrypoints.logging_setup import configure_logging

    configure_logging()
    if args.command == "dev":
        from src.entrypoints.cli.dev import run_dev

        return run_dev(
            data_dir=args.data_dir, host=args.host, port=args.port, workers=not args.no_workers, search=args.search
        )
    if args.command == "api":
        from src.entrypoints.cli.serve import serve_api

        return serve_api(host=args.host, port=args.port, workers=args.workers)
    if args.command == "worker":
        from src.entrypoints.cli.serve import run_workers

        return run_workers(args.name)
    from src.entrypoints.cli import admin

    if args.command == "migrate":
        return admin.migrate()
    if args.command == "tenants":
        return asyncio.run(admin.tenants(args, _print_json))
    if args.command == "keys":
        return asyncio.run(admin.keys(args, _print_json))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
