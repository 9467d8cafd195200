"""The zero-setup launchers against their real servers: start, round trip, stop, nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aioboto3
import psutil
import pytest
import redis.asyncio as aioredis
from opensearchpy import OpenSearch, helpers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from src.adapters.embedded.moto import start_moto
from src.adapters.embedded.osmem import start_osmem
from src.adapters.embedded.postgres import start_postgres
from src.adapters.embedded.redis import start_redis
from src.adapters.embedded.service import RunningService, free_port, port_is_open

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]


def wait_gone(pid: int | None, timeout: float = 5.0) -> bool:
    """True once pid has exited; a zombie waiting for init to reap it counts as gone."""
    assert pid is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def assert_stopped(service: RunningService) -> None:
    service.stop()
    service.stop()  # idempotent
    assert service.stopped
    assert wait_gone(service.pid)
    parts = urlsplit(service.url)
    if parts.port is not None:
        assert not port_is_open(parts.hostname or "127.0.0.1", parts.port)


async def pg_rows(url: str, *, create: bool) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
            if create:
                await conn.execute(text("create table note (body text not null)"))
                await conn.execute(text("insert into note values ('kept'), ('across restarts')"))
            return list((await conn.execute(text("select body from note order by body"))).scalars())
    finally:
        await engine.dispose()


async def test_postgres_round_trip_and_restart_keeps_rows(tmp_path: Path) -> None:
    data_dir = tmp_path / ".logplane" / "pg"  # parents do not exist yet: the launcher creates them
    first = start_postgres(data_dir)
    assert first.url == f"postgresql+asyncpg://postgres@/postgres?host={data_dir}"
    assert await pg_rows(first.url, create=True) == ["across restarts", "kept"]
    assert_stopped(first)
    assert not (data_dir / "postmaster.pid").exists()

    second = start_postgres(data_dir)
    try:
        assert second.pid != first.pid
        assert await pg_rows(second.url, create=False) == ["across restarts", "kept"]
    finally:
        assert_stopped(second)


async def test_redis_round_trip() -> None:
    service = start_redis()
    assert service.url.startswith("redis://127.0.0.1:") and service.url.endswith("/0")
    client = aioredis.from_url(service.url)
    try:
        await client.set("greeting", "hello", ex=60)
        assert await client.get("greeting") == b"hello"
    finally:
        await client.aclose()
    assert_stopped(service)


async def test_redis_with_data_dir_survives_restart(tmp_path: Path) -> None:
    for expected in (None, b"durable"):
        service = start_redis(data_dir=tmp_path / "redis")
        client = aioredis.from_url(service.url)
        try:
            assert await client.get("k") == expected
            await client.set("k", "durable")
        finally:
            await client.aclose()
            assert_stopped(service)


async def test_moto_s3_and_sqs_round_trip() -> None:
    service = start_moto()
    assert service.url.startswith("http://127.0.0.1:")
    session = aioboto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    try:
        async with session.client("s3", endpoint_url=service.url) as s3:
            await s3.create_bucket(Bucket="archive")
            await s3.put_object(Bucket="archive", Key="t1/a.ndjson", Body=b'{"msg":"hi"}\n')
            obj = await s3.get_object(Bucket="archive", Key="t1/a.ndjson")
            assert await obj["Body"].read() == b'{"msg":"hi"}\n'
        async with session.client("sqs", endpoint_url=service.url) as sqs:
            queue_url = (await sqs.create_queue(QueueName="tasks"))["QueueUrl"]
            await sqs.send_message(QueueUrl=queue_url, MessageBody="task-1")
            got = await sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
            assert [m["Body"] for m in got["Messages"]] == ["task-1"]
    finally:
        assert_stopped(service)


def test_osmem_index_and_search() -> None:
    service = start_osmem()
    try:
        client = OpenSearch(hosts=[service.url])
        assert client.info()["version"]["distribution"] == "opensearch"
        client.indices.create(index="logs-t1", body={"mappings": {"properties": {"msg": {"type": "text"}}}})
        docs = [{"_index": "logs-t1", "_id": str(i), "msg": f"disk {w}"} for i, w in enumerate(["full", "ok"])]
        assert helpers.bulk(client, docs, refresh=True) == (2, [])
        hits = client.search(index="logs-t1", body={"query": {"match": {"msg": "full"}}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["0"]
    finally:
        assert_stopped(service)


def test_osmem_binds_a_chosen_address() -> None:
    port = free_port()
    service = start_osmem(addr=f"127.0.0.1:{port}")
    assert service.url == f"http://127.0.0.1:{port}"
    assert_stopped(service)


CHILD = """
import json, sys
from pathlib import Path
from src.adapters.embedded.moto import start_moto
from src.adapters.embedded.osmem import start_osmem
from src.adapters.embedded.postgres import start_postgres
from src.adapters.embedded.redis import start_redis
services = [start_redis(), start_moto(), start_osmem(), start_postgres(Path(sys.argv[1]))]
print(json.dumps({s.name: s.pid for s in services}), flush=True)
sys.stdin.read()
"""


def test_servers_die_with_a_killed_parent_and_postgres_is_adopted(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pids: dict[str, int] = json.loads(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)  # no atexit, no cleanup: only the safety nets can act
    parent.wait()
    assert parent.stdin is not None
    parent.stdin.close()
    parent.stdout.close()
    for name in ("redis", "moto", "osmem"):
        assert wait_gone(pids[name]), f"{name} outlived its parent"

    # postgres is daemonized by pg_ctl and survives; the next start adopts it and can still stop it.
    assert psutil.pid_exists(pids["postgres"])
    adopted = start_postgres(data_dir)
    assert adopted.pid == pids["postgres"]
    assert_stopped(adopted)


OPENSEARCH_CHILD = """
import json, sys
from pathlib import Path
from src.adapters.embedded.opensearch import start_opensearch
service = start_opensearch(Path(sys.argv[1]), java_opts=("-XX:TieredStopAtLevel=1",))
print(json.dumps({"pid": service.pid, "url": service.url}), flush=True)
sys.stdin.read()
"""


def test_opensearch_is_the_real_engine_and_dies_with_a_killed_parent(tmp_path: Path) -> None:
    from src.adapters.embedded.opensearch import opensearch_available

    if (missing := opensearch_available()) is not None:
        pytest.skip(missing)
    parent = subprocess.Popen(
        [sys.executable, "-c", OPENSEARCH_CHILD, str(tmp_path / "node")],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None and parent.stdin is not None
    started = json.loads(parent.stdout.readline())
    info = OpenSearch(hosts=[started["url"]]).info()
    assert info["version"]["distribution"] == "opensearch"
    # As root the node runs in a user namespace; it must still be the process we were handed.
    assert "java" in psutil.Process(started["pid"]).name()
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdin.close()
    parent.stdout.close()
    assert wait_gone(started["pid"], timeout=30), "opensearch outlived its parent"
    assert not (REPO_ROOT / "logs").exists()  # GC log and heap dumps go to the node's own dir
