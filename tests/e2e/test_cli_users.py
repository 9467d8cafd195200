"""`logplane users create|list`: a tenant's first admin from the command line, who can then log in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx

from tests.integration.api.users_helpers import browser

PASSWORD = "a long cli passphrase"


def _cli(postgres_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOGPLANE_DATABASE_URL": postgres_url}
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_users_create_and_login(postgres_url: str, app_client: httpx.AsyncClient) -> None:
    name = f"cli-users-{uuid.uuid4().hex[:6]}"
    tenant = json.loads(_cli(postgres_url, "tenants", "create", "--name", name, "--json").stdout)
    created = _cli(
        postgres_url,
        "users",
        "create",
        "--tenant",
        name,
        "--email",
        "Root@Example.com",
        "--role",
        "admin",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    user = json.loads(created.stdout)
    assert (user["email"], user["role"], user["tenant_id"]) == ("root@example.com", "admin", tenant["tenant_id"])
    listed = json.loads(_cli(postgres_url, "users", "list", "--tenant", tenant["tenant_id"], "--json").stdout)
    assert [u["email"] for u in listed["items"]] == ["root@example.com"]
    again = _cli(
        postgres_url, "users", "create", "--tenant", name, "--email", "root@example.com", "--role", "viewer",
        "--password-stdin", "--json", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert again.returncode == 1 and json.loads(again.stdout)["error"]["code"] == "user_exists"
    short = _cli(
        postgres_url, "users", "create", "--tenant", name, "--email", "x@example.com", "--role", "viewer",
        "--password-stdin", "--json", stdin="short\n",
    )  # fmt: skip
    assert short.returncode == 1 and json.loads(short.stdout)["error"]["code"] == "invalid_input"
    missing = _cli(postgres_url, "users", "list", "--tenant", "no-such-tenant", "--json")
    assert missing.returncode == 1 and json.loads(missing.stdout)["error"]["code"] == "not_found"
    async with browser(app_client.app) as web:  # type: ignore[attr-defined]
        response = await web.post(
            "/api/v1/auth/login", json={"tenant": name, "email": "root@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        audit = (await web.get("/api/v1/audit")).json()["items"]
        assert [(e["actor"], e["action"]) for e in audit] == [("cli", "user.create")]
