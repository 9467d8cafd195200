"""CLI administration straight against the database: migrate, tenants, keys."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from uuid import UUID

from src.adapters.postgres.migrate import upgrade
from src.domain.credentials import parse_scopes
from src.domain.errors import DomainError
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.usecases.create_tenant import CreateTenantRequest
from src.usecases.manage_api_keys import CreateApiKeyRequest

Printer = Callable[[object], None]


def migrate() -> int:
    settings = Settings()
    upgrade(settings.database.database_url, timescaledb=settings.database.timescaledb)
    print("migrations applied")
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
    except DomainError as e:
        print_json({"error": {"code": e.code, "message": e.message, "details": e.details}})
        return 1
    finally:
        await container.close()


async def keys(args: argparse.Namespace, print_json: Printer) -> int:
    container = build_container(Settings())
    try:
        tenant_id = UUID(args.tenant)
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
    except (DomainError, ValueError) as e:
        if isinstance(e, DomainError):
            print_json({"error": {"code": e.code, "message": e.message, "details": e.details}})
        else:
            print_json({"error": {"code": "invalid_input", "message": str(e), "details": None}})
        return 1
    finally:
        await container.close()
