"""The `logplane` admin commands print one JSON object with --json, for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx


def _cli(postgres_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOGPLANE_DATABASE_URL": postgres_url}
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli.main", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_tenants_and_keys_commands(postgres_url: str) -> None:
    created = _cli(postgres_url, "tenants", "create", "--name", "cli-acme", "--json")
    assert created.returncode == 0, created.stderr
    tenant = json.loads(created.stdout)
    assert set(tenant) >= {"tenant_id", "api_key"} and tenant["api_key"].startswith("lp_")

    listed = json.loads(_cli(postgres_url, "tenants", "list", "--json").stdout)
    assert "cli-acme" in [t["name"] for t in listed["items"]]

    key = json.loads(
        _cli(
            postgres_url,
            "keys",
            "create",
            "--tenant",
            tenant["tenant_id"],
            "--name",
            "ci",
            "--scopes",
            "ingest",
            "--json",
        ).stdout
    )
    assert key["scopes"] == ["ingest"]
    revoked = _cli(postgres_url, "keys", "revoke", "--tenant", tenant["tenant_id"], "--key-id", key["key_id"], "--json")
    assert json.loads(revoked.stdout) == {"key_id": key["key_id"], "revoked": True}

    again = _cli(postgres_url, "tenants", "create", "--name", "cli-acme", "--json")
    assert again.returncode == 1
    assert json.loads(again.stdout)["error"]["code"] == "tenant_exists"


async def test_revoked_cli_key_is_refused_by_the_api(postgres_url: str, app_client: httpx.AsyncClient) -> None:
    tenant = json.loads(_cli(postgres_url, "tenants", "create", "--name", "cli-revoke", "--json").stdout)
    key = json.loads(
        _cli(postgres_url, "keys", "create", "--tenant", tenant["tenant_id"], "--name", "k", "--json").stdout
    )
    headers = {"Authorization": f"Bearer {key['api_key']}"}
    assert (await app_client.post("/api/v1/logs", json={"message": "m"}, headers=headers)).status_code == 201
    _cli(postgres_url, "keys", "revoke", "--tenant", tenant["tenant_id"], "--key-id", key["key_id"])
    # Another process revoked it: this one notices within the credential cache's TTL (5 s).
    import asyncio

    await asyncio.sleep(5.5)
    response = await app_client.post("/api/v1/logs", json={"message": "m"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_api_key"
