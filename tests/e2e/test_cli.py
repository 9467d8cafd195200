"""The `logplane` admin commands print one JSON object with --json, for scripts."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from src.entrypoints.cli.main import WORKER_NAMES
from tests.e2e.test_dev_stack import SERVICE_ENV
from tests.polling import until

REPO = Path(__file__).parents[2]


def _cli(postgres_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOGPLANE_DATABASE_URL": postgres_url}
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli.main", *args], env=env, capture_output=True, text=True, timeout=60
    )


def _bare_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a newcomer runs it: no service named in the environment."""
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV and k != "LOGPLANE_ENV"}
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli.main", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
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
    response = httpx.Response(0)

    async def refused() -> bool:
        nonlocal response
        response = await app_client.post("/api/v1/logs", json={"message": "m"}, headers=headers)
        return response.status_code != 201

    await until(refused, within=5 + 10, poll=0.2, what="the revoked key refused")  # TTL + margin
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_api_key"


def test_commands_find_the_dev_stack_through_its_state_file(postgres_url: str, tmp_path: Path) -> None:
    """What `make dev` records in .logplane/dev.json is enough: the README's commands need no variable."""
    (tmp_path / ".logplane").mkdir()
    (tmp_path / ".logplane" / "dev.json").write_text(
        json.dumps({"services": {"LOGPLANE_DATABASE_URL": postgres_url}, "admin_token": "a" * 43})
    )
    created = _bare_cli(tmp_path, "tenants", "create", "--name", "from-dev-json", "--json")
    assert created.returncode == 0, created.stderr
    tenant = json.loads(created.stdout)
    listed = _bare_cli(tmp_path, "keys", "list", "--tenant", tenant["tenant_id"], "--json")
    assert listed.returncode == 0, listed.stderr
    (only,) = json.loads(listed.stdout)["items"]
    assert only["key_id"] == tenant["api_key_id"] and only["revoked"] is False
    assert "api_key" not in only and tenant["api_key"] not in listed.stdout  # never the secret


def test_keys_list_shows_revoked_keys(postgres_url: str) -> None:
    tenant = json.loads(_cli(postgres_url, "tenants", "create", "--name", "cli-list", "--json").stdout)
    key = json.loads(
        _cli(postgres_url, "keys", "create", "--tenant", tenant["tenant_id"], "--name", "ci", "--json").stdout
    )
    _cli(postgres_url, "keys", "revoke", "--tenant", tenant["tenant_id"], "--key-id", key["key_id"])
    listed = json.loads(_cli(postgres_url, "keys", "list", "--tenant", tenant["tenant_id"], "--json").stdout)
    assert {k["name"]: k["revoked"] for k in listed["items"]} == {"initial admin key": False, "ci": True}
    plain = _cli(postgres_url, "keys", "list", "--tenant", tenant["tenant_id"])
    assert re.search(rf"{key['key_id']}\s+ci\s+.*revoked", plain.stdout), plain.stdout


def test_an_unreachable_database_is_one_line_naming_the_address(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql://postgres:hunter2@127.0.0.1:{port}/postgres"
    for args in (
        ("tenants", "list"),
        ("keys", "list", "--tenant", "5c2b7f6e-8a7c-4a0e-9d6e-1f2a3b4c5d6e"),
        ("migrate",),
    ):
        result = _bare_cli(tmp_path, *args, LOGPLANE_DATABASE_URL=url)
        assert result.returncode == 1, result
        assert (
            f"cannot reach PostgreSQL at postgresql+asyncpg://postgres:***@127.0.0.1:{port}/postgres" in result.stderr
        )
        assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_version_worker_names_and_quiet_output(postgres_url: str) -> None:
    from workers.registry import WORKERS

    version = _cli(postgres_url, "--version")
    assert re.fullmatch(r"logplane \d+\.\d+\.\d+\S*\n", version.stdout), version
    assert tuple(sorted(WORKERS)) == WORKER_NAMES
    help_text = _cli(postgres_url, "worker", "--help").stdout
    assert all(name in help_text for name in WORKER_NAMES)
    migrated = _cli(postgres_url, "migrate")
    assert migrated.returncode == 0
    assert migrated.stdout == "migrations applied\n"
    assert migrated.stderr == ""  # no alembic "setup plugin" lines, no library warnings
    listed = _cli(postgres_url, "tenants", "list", "--json")
    assert listed.stderr == "" and json.loads(listed.stdout)["items"]


def test_dev_honours_the_port_variable_and_refuses_a_taken_port_before_printing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data_dir = tmp_path / "state"
        result = _bare_cli(tmp_path, "dev", "--data-dir", str(data_dir), LOGPLANE_API_PORT=str(port))
    assert result.returncode != 0
    assert result.stdout == ""  # no banner for somebody else's server
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert not data_dir.exists()  # nothing was started


def test_make_dev_passes_options_through() -> None:
    dry = subprocess.run(
        ["make", "-n", "-C", str(REPO), "dev", "ARGS=--port 9000 --no-workers"], capture_output=True, text=True
    )
    assert "logplane dev --port 9000 --no-workers" in dry.stdout, dry


def test_anomalies_run_scores_a_tenant_now_and_refuses_an_unknown_one(postgres_url: str) -> None:
    import uuid

    tenant = json.loads(
        _cli(postgres_url, "tenants", "create", "--name", f"anomalies-{uuid.uuid4().hex[:8]}", "--json").stdout
    )
    ran = _cli(postgres_url, "anomalies", "run", "--tenant", tenant["tenant_id"], "--json")
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["tenant_id"] == tenant["tenant_id"] and out["windows_scored"] == 0 and out["task_id"] is None
    unknown = _cli(postgres_url, "anomalies", "run", "--tenant", str(uuid.uuid4()), "--json")
    assert unknown.returncode == 1 and json.loads(unknown.stdout)["error"]["code"] == "not_found"
    assert "Traceback" not in unknown.stderr
    bad = _cli(postgres_url, "anomalies", "run", "--tenant", "nope")
    assert bad.returncode == 2 and "not a tenant id" in bad.stderr
