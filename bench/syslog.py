"""Syslog ingest throughput: messages/s from a TCP sender (octet-counted RFC 5424) to rows committed
in PostgreSQL, through the listener of `logplane syslog` (bounded queue, group commit), in one process.
The baseline of the same run is the same events through `IngestLogs` directly (the HTTP bulk path's
use case, no socket, no parsing), so the figure is what the listener adds.

    .venv/bin/python bench/syslog.py [--messages 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr


async def _count(engine: object, tenant_id: object) -> int:
    from sqlalchemy import text

    async with engine.connect() as conn:  # type: ignore[attr-defined]
        result = await conn.execute(text("SELECT count(*) FROM logs WHERE tenant_id = :t"), {"t": tenant_id})
        return int(result.scalar_one())


async def run(url: str, messages: int) -> None:
    from src.adapters.embedded.service import free_port
    from src.domain.credentials import Principal, Scope
    from src.domain.logs import LogDraft
    from src.entrypoints.bootstrap import build_container
    from src.entrypoints.settings import Settings
    from src.entrypoints.syslog.run import build_listener
    from src.usecases.create_tenant import CreateTenantRequest
    from src.usecases.ingest_logs import IngestRequest

    settings = Settings()
    settings.database.database_url = url
    port = free_port()
    container = build_container(settings)
    tenant = await container.create_tenant.execute(CreateTenantRequest(name=f"bench-syslog-{port}"))
    baseline = await container.create_tenant.execute(CreateTenantRequest(name=f"bench-direct-{port}"))
    settings.syslog.tcp_ports, settings.syslog.udp_ports = [port], []
    settings.syslog.port_keys = {port: SecretStr(tenant.api_key)}
    settings.syslog.tenant_events_per_second = settings.syslog.tenant_burst = 10.0**9
    listener = build_listener(container)
    await listener.start()
    frames = [
        f'<14>1 2026-01-01T00:00:{i % 60:02d}.000Z web-{i % 7} shop 42 REQ [req@32473 id="{i}"] request {i} done'.encode()
        for i in range(messages)
    ]
    payload = b"".join(str(len(f)).encode() + b" " + f for f in frames)
    started = time.perf_counter()
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    writer.close()
    # Polling the table: the end of ingest is not signalled to the sender (syslog has no acks).
    while True:
        if await _count(container.owner_engine, tenant.tenant.id) >= messages:
            break
        await asyncio.sleep(0.05)
    syslog_seconds = time.perf_counter() - started
    await listener.stop()

    principal = Principal(
        tenant_id=baseline.tenant.id, subject="bench", scopes=frozenset({Scope.INGEST}), via="api_key"
    )
    drafts = [LogDraft(message=f"request {i} done", service="shop", host=f"web-{i % 7}") for i in range(messages)]
    started = time.perf_counter()
    batch = settings.syslog.batch_messages
    await asyncio.gather(
        *(
            container.ingest.execute(IngestRequest(principal=principal, items=drafts[i : i + batch]))
            for i in range(0, messages, batch)
        )
    )
    direct_seconds = time.perf_counter() - started
    await container.close()
    print(f"messages            : {messages}")
    print(f"syslog TCP → commit : {messages / syslog_seconds:,.0f} msg/s ({syslog_seconds:.2f} s)")
    print(f"IngestLogs directly : {messages / direct_seconds:,.0f} events/s ({direct_seconds:.2f} s, same run)")
    print(f"ratio               : {direct_seconds / syslog_seconds:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000)
    args = parser.parse_args()
    from src.adapters.embedded.postgres import start_postgres
    from src.adapters.postgres.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="logplane-bench-syslog-") as work:
        service = start_postgres(Path(work) / "pg")
        try:
            upgrade(service.url)
            asyncio.run(run(service.url, args.messages))
        finally:
            service.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
