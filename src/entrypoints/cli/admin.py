"""CLI administration straight against the database: migrate, provision, tenants, keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

from sqlalchemy.engine import make_url

from src.adapters.postgres.migrate import upgrade
from src.domain.credentials import parse_scopes
from src.domain.errors import DependencyUnavailable, DomainError
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.create_tenant import CreateTenantRequest
from src.usecases.manage_api_keys import CreateApiKeyRequest

Printer = Callable[[object], None]


def database_address() -> str:
    """The database URL as tried, password hidden (a socket directory shows as ?host=/path)."""
    return make_url(Settings().database.database_url).render_as_string(hide_password=True)


def _unreachable(reason: object) -> int:
    address = database_address()
    print(
        f"logplane: cannot reach PostgreSQL at {address} ({reason}).\n"
        "Start the dev stack with `make dev` (the commands find it through .logplane/dev.json), "
        "or name the database with LOGPLANE_DATABASE_URL.",
        file=sys.stderr,
    )
    return 1


def run(command: Coroutine[Any, Any, int]) -> int:
    """Run one admin command; an unreachable database is one clear line naming the address tried."""
    try:
        return asyncio.run(command)
    except DependencyUnavailable as e:
        return _unreachable(e.__cause__ or e.message)
    except OSError as e:
        return _unreachable(e)


def migrate() -> int:
    settings = Settings()
    try:
        upgrade(settings.database.database_url, timescaledb=settings.database.timescaledb)
    except OSError as e:
        return _unreachable(e)
    print("migrations applied")
    return 0


def provision(args: argparse.Namespace, print_json: Printer) -> int:
    """Idempotent: a rerun after a partial failure completes what is missing."""
    from botocore.exceptions import BotoCoreError, ClientError
    from opensearchpy.exceptions import OpenSearchException

    from src.entrypoints.cli.provision import provision as run_provision

    try:
        report = run_provision(Settings(), migrate=not args.skip_migrations)
    except OSError as e:
        return _unreachable(e)
    except (BotoCoreError, ClientError, OpenSearchException) as e:
        # Which service failed matters to the operator; a traceback does not.
        print(f"logplane: provisioning failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if args.json:
        print_json({"steps": report.steps})
    else:
        for step in report.steps:
            details = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("step", "seconds"))
            print(f"{step['step']:<15} {details} ({step['seconds']} s)")
    return 0


async def tenants(args: argparse.Namespace, print_json: Printer) -> int:
    container = build_container(Settings())
    try:
        if args.action == "create":
            created = await container.create_tenant.execute(
                CreateTenantRequest(name=args.name, retention_days=args.retention_days)
            )
            out = {
                "tenant_id": str(created.tenant.id),
                "name": created.tenant.name,
                "api_key": created.api_key,
                "api_key_id": created.api_key_id,
            }
            if args.json:
                print_json(out)
            else:
                print(f"tenant {out['name']} created: id {out['tenant_id']}")
                print(f"admin API key (shown once): {out['api_key']}")
            return 0
        listed = await container.list_tenants.execute()
        rows = [
            {"tenant_id": str(t.id), "name": t.name, "status": t.status.value, "retention_days": t.retention_days}
            for t in listed
        ]
        if args.json:
            print_json({"items": rows})
        else:
            for row in rows:
                print(f"{row['tenant_id']}  {row['name']:<24} {row['status']:<10} {row['retention_days']}d")
        return 0
    except DependencyUnavailable:
        raise  # run() says which address was tried
    except DomainError as e:
        print_json({"error": {"code": e.code, "message": e.message, "details": e.details}})
        return 1
    finally:
        await container.close()


async def keys(args: argparse.Namespace, print_json: Printer) -> int:
    container = build_container(Settings())
    try:
        tenant_id = UUID(args.tenant)
        if args.action == "list":
            listed: list[dict[str, Any]] = [
                {
                    "key_id": str(k.id),
                    "name": k.name,
                    "scopes": sorted(k.scopes),
                    "created_at": k.created_at.isoformat().replace("+00:00", "Z") if k.created_at else None,
                    "revoked": k.is_revoked,
                }
                for k in await container.list_keys.execute(tenant_id)
            ]
            if args.json:
                print_json({"items": listed})
            else:
                for row in listed:
                    state = "revoked" if row["revoked"] else "active"
                    print(f"{row['key_id']}  {row['name']:<24} {','.join(row['scopes']):<20} {state}")
            return 0
        if args.action == "create":
            created = await container.create_key.execute(
                CreateApiKeyRequest(
                    tenant_id=tenant_id, name=args.name, scopes=parse_scopes([s for s in args.scopes.split(",") if s])
                )
            )
            out = {
                "key_id": str(created.key.id),
                "tenant_id": str(tenant_id),
                "api_key": created.secret,
                "scopes": sorted(created.key.scopes),
            }
            if args.json:
                print_json(out)
            else:
                print(f"key {out['key_id']} created with scopes {','.join(out['scopes'])}")
                print(f"API key (shown once): {out['api_key']}")
            return 0
        await container.revoke_key.execute(tenant_id=tenant_id, key_id=UUID(args.key_id))
        if args.json:
            print_json({"key_id": args.key_id, "revoked": True})
        else:
            print(f"key {args.key_id} revoked")
        return 0
    except DependencyUnavailable:
        raise  # run() says which address was tried
    except (DomainError, ValueError) as e:
        if isinstance(e, DomainError):
            print_json({"error": {"code": e.code, "message": e.message, "details": e.details}})
        else:
            print_json({"error": {"code": "invalid_input", "message": str(e), "details": None}})
        return 1
    finally:
        await container.close()


async def redrive(args: argparse.Namespace, print_json: Printer) -> int:
    """`logplane tasks redrive`: every dead-letter queue, once (workers also do it when a dependency returns)."""
    from src.domain.tasks import QUEUES
    from src.usecases.redrive_dead_letters import RedriveDeadLetters

    container = build_container(Settings())
    try:
        use_case = RedriveDeadLetters(container.uow, container.queue)
        out = {}
        for queue in QUEUES:
            report = await use_case.execute(queue)
            out[queue] = {"redriven": report.redriven, "dropped": report.dropped, "kept": report.kept}
        if args.json:
            print_json(out)
        else:
            for queue, counts in out.items():
                print(
                    f"{queue}-dlq: {counts['redriven']} back on the queue, "
                    f"{counts['dropped']} of finished tasks deleted, {counts['kept']} kept"
                )
        return 0
    finally:
        await container.close()


async def detect_anomalies(args: argparse.Namespace, print_json: Printer) -> int:
    """`logplane anomalies run --tenant ID`: the scheduler's run for one tenant, now."""
    from src.entrypoints.bootstrap import build_anomaly_detection
    from src.usecases.detect_anomalies import DetectRequest

    settings = Settings()
    container = build_container(settings)
    try:
        tenant = await container.get_tenant.execute(UUID(args.tenant))  # NotFound: one JSON error line
        detect = build_anomaly_detection(settings, container.uow)
        run = await detect.execute(DetectRequest(tenant_id=tenant.id, user_id="cli"))
        out = {
            "tenant_id": str(run.tenant_id),
            "task_id": str(run.task_id) if run.task_id else None,
            "from": run.start.isoformat(),
            "to": run.end.isoformat(),
            "windows_scored": run.windows_scored,
            "anomalies_found": run.anomalies_found,
            "duration_ms": run.duration_ms,
        }
        if args.json:
            print_json(out)
        else:
            print(
                f"{run.windows_scored} windows scored ({out['from']} .. {out['to']}), "
                f"{run.anomalies_found} anomalies, {run.duration_ms} ms"
            )
        return 0
    except DependencyUnavailable:
        raise  # run() says which address was tried
    except DomainError as e:
        print_json({"error": {"code": e.code, "message": e.message, "details": e.details}})
        return 1
    finally:
        await container.close()
