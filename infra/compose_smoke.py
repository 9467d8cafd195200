"""Bring up infra/docker-compose.yml and use it as a new user would, through the nginx proxy.

    .venv/bin/python infra/compose_smoke.py              # the public images (needs a registry)
    .venv/bin/python infra/compose_smoke.py --standins   # images from infra/standins/build.sh

Needs a Docker engine with compose v2; not part of CI (the CI machines have none). Generated secrets
replace logplane.env's samples through a third compose file, so the file itself stays as shipped.
Every step prints what it checked and how long it took; the first failure stops the run, and the
stack is taken down (volumes too) unless --keep.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml
from cryptography.fernet import Fernet
from websockets.sync.client import connect

INFRA = Path(__file__).resolve().parent
BASE = "http://127.0.0.1:8080"
T = TypeVar("T")


class SmokeFailure(Exception):
    """A check failed: the run stops at once (`wait_for` retries only connection errors)."""


def step(name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> T:
            started = time.monotonic()
            result = fn(*args, **kwargs)
            print(f"ok  {time.monotonic() - started:6.1f} s  {name}", flush=True)
            return result

        return run

    return wrap


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 1.0) -> T:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if (value := check()) is not None:
                return value
        except (httpx.HTTPError, OSError) as e:
            last = e
        time.sleep(every)
    raise SmokeFailure(
        f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last})" if last else "")
    )


class Stack:
    def __init__(self, project: str, standins: bool, workdir: Path) -> None:
        base = yaml.safe_load((INFRA / "docker-compose.yml").read_text())
        self.workers = sorted(name for name in base["services"] if name.startswith("worker-"))
        self.admin_token = secrets.token_urlsafe(48)
        env = {
            "LOGPLANE_ADMIN_TOKEN": self.admin_token,
            "LOGPLANE_JWT_SECRET": secrets.token_urlsafe(48),
            "LOGPLANE_ALERTS_SECRET_KEY": Fernet.generate_key().decode(),
        }
        ours = [name for name, svc in base["services"].items() if svc.get("image") == "logplane:local"]
        secrets_file = workdir / "secrets.yml"
        secrets_file.write_text(yaml.safe_dump({"services": {name: {"environment": env} for name in ours}}))
        files = [INFRA / "docker-compose.yml"]
        if standins:
            files.append(INFRA / "standins" / "compose.yml")
        files.append(secrets_file)
        self.args = ["docker", "compose", "-p", project, *[a for f in files for a in ("-f", str(f))]]

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([*self.args, *args], capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise SmokeFailure(f"docker compose {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def containers(self) -> list[dict[str, Any]]:
        out = self.run("ps", "--all", "--format", "json")
        text = out.strip()
        if text.startswith("["):
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines() if line.strip()]


class Smoke:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=BASE, timeout=30.0)
        self.admin = {"Authorization": f"Bearer {stack.admin_token}"}
        self.run_id = uuid.uuid4().hex[:10]

    @step("docker compose up --build -d")
    def up(self) -> None:
        self.stack.run("up", "--build", "-d")

    @step("proxy answers /health/ready with 200 (every dependency reachable)")
    def ready(self) -> None:
        def check() -> bool | None:
            return True if self.http.get("/health/ready").status_code == 200 else None

        wait_for("/health/ready", check, timeout=300, every=2)

    @step("provision exited 0; 2 API replicas and every worker service healthy")
    def healthy(self) -> None:
        def check() -> bool | None:
            cs = self.stack.containers()
            provision = [c for c in cs if c["Service"] == "provision"]
            if not provision or provision[0]["State"] != "exited":
                return None
            if "(0)" not in provision[0]["Status"]:
                raise SmokeFailure(f"provision: {provision[0]['Status']}")
            api = [c for c in cs if c["Service"] == "api" and c["Health"] == "healthy"]
            workers = sorted(
                c["Service"] for c in cs if c["Service"].startswith("worker-") and c["Health"] == "healthy"
            )
            return True if len(api) == 2 and workers == self.stack.workers else None

        wait_for("healthy containers", check, timeout=240, every=3)

    @step("admin creates two tenants; each gets its first API key")
    def tenants(self) -> tuple[str, str]:
        keys = []
        for name in ("smoke-a", "smoke-b"):
            r = self.http.post("/api/v1/tenants", headers=self.admin, json={"name": f"{name}-{self.run_id}"})
            expect(r, 201)
            keys.append(r.json()["api_key"])
        return keys[0], keys[1]

    @step("POST /api/v1/logs → 201, read back by id")
    def single(self, key: str) -> None:
        h = auth(key)
        r = self.http.post(
            "/api/v1/logs",
            headers=h,
            json={"message": f"payment failed {self.run_id}", "severity": "error", "service": "billing"},
        )
        expect(r, 201)
        expect(self.http.get(f"/api/v1/logs/{r.json()['id']}", headers=h), 200)

    @step("POST /api/v1/logs/bulk (NDJSON, gzip) → 201")
    def bulk(self, key: str) -> None:
        body = "\n".join(
            json.dumps({"message": f"bulk line {i} {self.run_id}", "service": "checkout"}) for i in range(500)
        )
        r = self.http.post(
            "/api/v1/logs/bulk",
            headers={**auth(key), "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
            content=gzip.compress(body.encode()),
        )
        expect(r, 201)

    @step("search finds them (index worker over SQS into OpenSearch)")
    def search(self, key: str) -> None:
        def check() -> bool | None:
            r = self.http.get(
                "/api/v1/logs",
                params={"q": f"{self.run_id} AND service:checkout", "page_size": 1000},
                headers=auth(key),
            )
            expect(r, 200)
            return True if len(r.json()["items"]) == 500 else None

        wait_for("500 bulk events in search", check, timeout=90)

    @step("WebSocket stream through nginx delivers an event committed after it opened")
    def stream(self, key: str) -> None:
        marker = f"live {self.run_id} {uuid.uuid4().hex[:6]}"
        first = self.http.post("/api/v1/logs", headers=auth(key), json={"message": f"before {marker}"})
        expect(first, 201)
        # Resuming after an event we know: whatever commits after it comes, replayed or live, so the
        # marker posted once the socket is open cannot fall between subscribing and reading.
        with connect(
            f"ws://127.0.0.1:8080/api/v1/logs/stream?since_id={first.json()['id']}",
            additional_headers=auth(key),
            open_timeout=10,
        ) as ws:
            expect(self.http.post("/api/v1/logs", headers=auth(key), json={"message": marker}), 201)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                frame = json.loads(ws.recv(timeout=deadline - time.monotonic()))
                if frame.get("type") == "log" and frame["data"]["message"] == marker:
                    return
        raise SmokeFailure("the streamed event never arrived")

    @step("syslog over TCP (RFC 5424, token in structured data) is stored for its tenant")
    def syslog(self, key: str) -> None:
        marker = f"syslog {self.run_id}"
        line = (
            f'<134>1 {datetime.now(UTC).isoformat()} smokehost smokeapp - - [logplane@32473 token="{key}"] {marker}\n'
        )
        with socket.create_connection(("127.0.0.1", 5514), timeout=10) as s:
            s.sendall(line.encode())

        def check() -> bool | None:
            r = self.http.get("/api/v1/logs", params={"q": f'"{marker}"'}, headers=auth(key))
            expect(r, 200)
            return True if r.json()["items"] else None

        wait_for("the syslog line", check, timeout=60)

    @step("cleanup archives to S3 (LocalStack), verifies, deletes; the listed archive downloads from here")
    def archive(self, key: str) -> str:
        # Every event so far, to the second: the next whole second, once the clock has passed it
        # (`before` may not be in the future).
        before = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        while datetime.now(UTC) <= before:
            time.sleep(0.05)
        r = self.http.delete(
            "/api/v1/logs/cleanup", params={"before": before.strftime("%Y-%m-%dT%H:%M:%SZ")}, headers=auth(key)
        )
        expect(r, 202)
        task_id = r.json()["task_id"]

        def done(task: str) -> dict[str, Any] | None:
            body = self.http.get(f"/api/v1/tasks/{task}", headers=auth(key)).json()
            if body["status"] in ("failed", "dead"):
                raise SmokeFailure(f"task {task}: {body}")
            return body if body["status"] == "succeeded" else None

        archived = wait_for("the archive task", lambda: done(task_id), timeout=120)
        cleanup = wait_for("the cleanup task", lambda: done(archived["result"]["cleanup_task_id"]), timeout=120)
        if cleanup["result"]["deleted_rows"] < 502:
            raise SmokeFailure(f"cleanup deleted {cleanup['result']['deleted_rows']} rows, expected ≥ 502")
        items = self.http.get("/api/v1/archives", params={"from": "now-1d"}, headers=auth(key)).json()["items"]
        if not items or not all(i["url"] for i in items):
            raise SmokeFailure(f"no archive listed: {items}")
        # As a user would: the presigned URL from this machine, not from inside the compose network.
        download = httpx.get(items[0]["url"], timeout=30)
        if download.status_code != 200 or len(download.content) != items[0]["bytes"]:
            raise SmokeFailure(f"archive download → {download.status_code}, {len(download.content)} bytes")
        return str(items[0]["url"])

    @step("the second tenant sees nothing of the first's events and tasks")
    def isolation(self, other: str) -> None:
        self._sees_nothing(other, ("/api/v1/logs", {"q": self.run_id}), ("/api/v1/tasks", {}))

    @step("the second tenant sees none of the first's archives")
    def archive_isolation(self, other: str) -> None:
        self._sees_nothing(other, ("/api/v1/archives", {"from": "now-1d"}))

    def _sees_nothing(self, other: str, *reads: tuple[str, dict[str, str]]) -> None:
        for path, params in reads:
            r = self.http.get(path, params=params, headers=auth(other))
            expect(r, 200)
            if r.json()["items"]:
                raise SmokeFailure(f"{path} shows tenant B {r.json()['items'][:2]}")

    @step("one API replica stopped: the proxy keeps answering; restarted, it turns healthy again")
    def failover(self, key: str) -> None:
        api = [c for c in self.stack.containers() if c["Service"] == "api"]
        subprocess.run(["docker", "stop", "-t", "5", api[0]["Name"]], check=True, capture_output=True)
        try:
            for i in range(20):
                started = time.monotonic()
                expect(self.http.post("/api/v1/logs", headers=auth(key), json={"message": f"failover {i}"}), 201)
                # A request nginx tries on the stopped replica first costs its connect timeout (2 s).
                if (took := time.monotonic() - started) > 5:
                    raise SmokeFailure(f"POST {i} took {took:.1f} s with one replica stopped")
        finally:
            subprocess.run(["docker", "start", api[0]["Name"]], check=True, capture_output=True)

        def check() -> bool | None:
            states = [c["Health"] for c in self.stack.containers() if c["Service"] == "api"]
            return True if states == ["healthy", "healthy"] else None

        wait_for("the restarted replica's health", check, timeout=120, every=3)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def expect(r: httpx.Response, status: int) -> None:
    if r.status_code != status:
        raise SmokeFailure(
            f"{r.request.method} {r.request.url.path} → {r.status_code} (expected {status}): {r.text[:500]}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--standins", action="store_true", help="use the images infra/standins/build.sh made")
    parser.add_argument("--project", default="logplane-smoke")
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(args.project, args.standins, Path(tmp))
        smoke = Smoke(stack)
        try:
            smoke.up()
            smoke.ready()
            smoke.healthy()
            a, b = smoke.tenants()
            smoke.single(a)
            smoke.bulk(a)
            smoke.search(a)
            smoke.stream(a)
            smoke.syslog(a)
            smoke.isolation(b)
            url = smoke.archive(a)
            print(f"    an archive's download URL: {url.split('?')[0]}")
            smoke.archive_isolation(b)
            smoke.failover(a)
        except Exception as e:  # any failure: say what, show the services' last words
            print(f"FAIL {type(e).__name__}: {e}", file=sys.stderr)
            print(stack.run("logs", "--tail", "30", check=False)[-6000:], file=sys.stderr)
            return 1
        finally:
            if not args.keep:
                stack.run("down", "-v", "--remove-orphans", check=False)
    print("compose smoke: every step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
