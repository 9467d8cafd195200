"""The ingest worker reads an upload in bounded memory: a gzip bomb stops at the decompressed cap
(the task fails at once with a stable code, what came before is kept), and a 500 MB line is
truncated and counted, never held whole.

Memory is the peak of Python allocations (tracemalloc) while the worker runs in this process:
every buffer the worker makes (zlib output, lines, batches) is a Python allocation, and unlike
RSS it is not blurred by what the test process held before.
"""

from __future__ import annotations

import copy
import tracemalloc
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import asyncpg

from src.domain.ids import new_id
from src.domain.tasks import AsyncTask, TaskStatus, TaskType
from src.entrypoints.settings import Settings
from tests.conftest import TenantHandle, create_tenant
from tests.integration.archive.helpers import dsn, wait_task
from tests.integration.conftest import Stack, running_worker

MAX_PEAK = 64 * 1024 * 1024
MiB = 1024 * 1024


def _gzip(parts: Iterator[bytes]) -> bytes:
    """A gzip file built a piece at a time: the test never holds what it decompresses to."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [compressor.compress(part) for part in parts]
    out.append(compressor.flush())
    return b"".join(out)


def _zeros(total: int) -> Iterator[bytes]:
    """`total` ASCII zeros without a newline, a MiB at a time (ASCII, not NUL: a NUL line is
    another rule's business)."""
    block = b"0" * MiB
    for _ in range(total // MiB):
        yield block


def _settings(stack: Stack, **ingest: Any) -> Settings:
    settings = copy.copy(stack.settings)
    settings.ingest = stack.settings.ingest.model_copy(update=ingest)
    return settings


async def _upload(stack: Stack, tenant: TenantHandle, payload: bytes) -> str:
    response = await stack.client.post(
        "/api/v1/logs/upload", files={"file": ("bomb.log.gz", payload, "application/gzip")}, headers=tenant.headers
    )
    assert response.status_code == 202, response.text
    task_id: str = response.json()["task_id"]
    return task_id


async def _run_worker(
    stack: Stack, settings: Settings, tenant: TenantHandle, task_id: str
) -> tuple[dict[str, Any], int]:
    """The task once finished, and the peak of Python allocations while the worker ran it."""
    tracemalloc.start()
    try:
        async with running_worker(settings, "ingest"):
            task = await wait_task(stack, tenant.headers, task_id, within=180)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return task, peak


async def _messages(postgres_url: str, tenant_id: str) -> list[str]:
    conn = await asyncpg.connect(dsn(postgres_url))
    try:
        rows = await conn.fetch("SELECT message FROM logs WHERE tenant_id = $1", uuid.UUID(tenant_id))
    finally:
        await conn.close()
    return sorted(r["message"] for r in rows)


async def test_a_gzip_bomb_fails_its_task_at_the_cap_in_bounded_memory(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    payload = _gzip(iter([b"first line\n", b"second line\n", *_zeros(200 * MiB)]))
    assert len(payload) < 300 * 1024
    task_id = await _upload(stack, tenant, payload)
    settings = _settings(stack, max_upload_decompressed_bytes=64 * MiB)

    task, peak = await _run_worker(stack, settings, tenant, task_id)

    assert task["status"] == "failed", task
    assert task["attempts"] == 1, task  # refused for good: a retry would inflate the same bytes
    assert task["error_msg"].startswith("decompressed_too_large: "), task["error_msg"]
    # What came before the cap is kept: the two lines, and the head of the line it fell in
    # (truncated at the line cap long before the decompressed cap was reached).
    assert task["result"]["lines"] == 3 and task["result"]["truncated_lines"] == 1, task["result"]
    line_cap = settings.ingest.max_upload_line_bytes
    assert await _messages(postgres_url, tenant.id) == ["0" * line_cap, "first line", "second line"]
    assert peak < MAX_PEAK, f"{peak / MiB:.0f} MiB at peak"


async def test_a_500_mb_line_is_truncated_and_counted_in_bounded_memory(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    payload = _gzip(iter([b"before\n", *_zeros(500 * MiB), b"\nafter\n"]))
    task_id = await _upload(stack, tenant, payload)

    task, peak = await _run_worker(stack, stack.settings, tenant, task_id)

    assert task["status"] == "succeeded", task
    result = task["result"]
    assert (result["lines"], result["stored"], result["truncated_lines"]) == (3, 3, 1), result
    line_cap = stack.settings.ingest.max_upload_line_bytes
    assert await _messages(postgres_url, tenant.id) == ["0" * line_cap, "after", "before"]
    assert peak < MAX_PEAK, f"{peak / MiB:.0f} MiB at peak"


async def test_a_task_failed_for_good_is_not_started_again_by_a_stray_message(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    tenant_id = uuid.UUID(tenant.id)
    task = AsyncTask(task_id=new_id(), tenant_id=tenant_id, task_type=TaskType.INGEST_FILE, payload={})
    uow_factory = stack.app.state.container.uow
    async with uow_factory() as uow:
        await uow.act_as_tenant(tenant_id)
        await uow.tasks.add_many(tasks=[task])
        await uow.commit()
    for status, startable in ((TaskStatus.PENDING, True), (TaskStatus.FAILED, False), (TaskStatus.SUCCEEDED, False)):
        async with uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            await uow.tasks.finish(
                tenant_id=tenant_id, task_id=task.task_id, status=status, result=None, error_msg=None
            )
            started = await uow.tasks.start(tenant_id=tenant_id, task_id=task.task_id)
            await uow.commit()
        assert (started is not None) is startable, status
