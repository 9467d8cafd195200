"""`logplane users`: create (e.g. a tenant's first admin) and list a tenant's human users."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from src.domain.audit import CLI_ACTOR
from src.domain.errors import DependencyUnavailable, DomainError, NotFound
from src.domain.users import Role

if TYPE_CHECKING:
    from src.entrypoints.cli.admin import Printer


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="manage a tenant's human users").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create a user (e.g. the tenant's first admin)")
    create.add_argument("--tenant", required=True, help="tenant name or id")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else: prompt on a terminal, none otherwise)",
    )
    create.add_argument("--no-password", action="store_true", help="a user who signs in through OIDC only")
    create.add_argument("--json", action="store_true")
    listing = users.add_parser("list", help="list a tenant's users")
    listing.add_argument("--tenant", required=True, help="tenant name or id")
    listing.add_argument("--json", action="store_true")


def _password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        # Passwords on the command line end up in shell history and `ps`; stdin does not.
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise SystemExit("logplane: the passwords differ")
        return first
    return None


async def users(args: argparse.Namespace, print_json: Printer) -> int:
    # Here, not at the top: every `logplane` command builds the parser that imports this module, and
    # the composition root costs seconds of imports (a worker's health check runs `logplane worker status`).
    from src.entrypoints.bootstrap import build_container
    from src.entrypoints.settings import Settings
    from src.usecases.login import find_tenant
    from src.usecases.manage_users import CreateUserRequest

    container = build_container(Settings())
    try:
        tenant = await find_tenant(container.uow, args.tenant)
        if tenant is None:
            raise NotFound("no such tenant", details={"tenant": args.tenant})
        if args.action == "create":
            user = await container.create_user.execute(
                CreateUserRequest(
                    tenant_id=tenant.id,
                    email=args.email,
                    role=Role(args.role),
                    password=_password(args),
                    actor=CLI_ACTOR,
                )
            )
            out = {"user_id": str(user.id), "tenant_id": str(tenant.id), "email": user.email, "role": user.role.value}
            if args.json:
                print_json(out)
            else:
                print(f"user {out['email']} ({out['role']}) created in tenant {tenant.name}: id {out['user_id']}")
            return 0
        rows = [
            {"user_id": str(u.id), "email": u.email, "role": u.role.value, "disabled": u.disabled}
            for u in await container.list_users.execute(tenant.id)
        ]
        if args.json:
            print_json({"items": rows})
        else:
            for row in rows:
                state = "disabled" if row["disabled"] else "active"
                print(f"{row['user_id']}  {row['email']:<32} {row['role']:<7} {state}")
        return 0
    except DependencyUnavailable:
        raise
    except DomainError as e:
        print_json({"error": {"code": e.code, "message": e.message, "details": e.details}})
        return 1
    finally:
        await container.close()
