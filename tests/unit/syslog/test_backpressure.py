"""Backpressure at the listener, with ingest held shut: a TCP connection stops being read once the
bounded queue is full (and loses nothing when ingest resumes); UDP datagrams are dropped and counted."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from src.adapters.prometheus.syslog_metrics import PrometheusSyslogMetrics
from src.entrypoints.settings import SyslogSettings
from src.entrypoints.syslog.listeners import READ_CHUNK, SyslogListener
from src.entrypoints.syslog.pump import IngestPump
from src.usecases.ingest_syslog import SyslogMessage
from tests.polling import until


class GatedIngest:
    """Takes batches only while the gate is open; records what it took."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.taken: list[str] = []

    async def __call__(self, messages: Sequence[SyslogMessage]) -> None:
        await self.gate.wait()
        self.taken.extend(m.text for m in messages)


def _metric(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def _listener(ingest: GatedIngest, **settings: object) -> tuple[SyslogListener, IngestPump]:
    values: dict[str, object] = {"queue_size": 100, "batch_messages": 10, **settings}
    config = SyslogSettings(tcp_ports=[0], udp_ports=[0], consumers=1, **values)  # type: ignore[arg-type]
    metrics = PrometheusSyslogMetrics()
    pump = IngestPump(ingest, metrics, queue_size=config.queue_size, batch_messages=config.batch_messages, consumers=1)
    return SyslogListener(config, pump, metrics), pump


async def test_tcp_reads_pause_while_ingest_is_saturated_and_nothing_is_lost() -> None:
    ingest = GatedIngest()
    listener, pump = _listener(ingest)
    listening = await listener.start()
    frames = [f"<14>1 - host app - - - message {i:06d} {'x' * 80}".encode() for i in range(160_000)]
    stream = b"".join(str(len(f)).encode() + b" " + f for f in frames)  # ~20 MB: more than the kernel buffers hold
    received_before = _metric("logplane_syslog_received_messages_total", transport="tcp")
    _, writer = await asyncio.open_connection("127.0.0.1", listening.tcp[0])
    writer.write(stream)

    async def queue_full() -> bool:
        return pump.depth == 100

    await until(queue_full, within=30, what="the bounded queue filled")
    # The connection's reader waits in `put`: it has read at most the queue, the batch held by the
    # consumer and one chunk's frames; the sender still holds most of its stream.
    read = _metric("logplane_syslog_received_messages_total", transport="tcp") - received_before
    assert read <= 100 + 10 + READ_CHUNK // 90
    assert writer.transport.get_write_buffer_size() > 0
    assert ingest.taken == []

    ingest.gate.set()
    await writer.drain()
    writer.close()
    await writer.wait_closed()

    async def all_taken() -> bool:
        return len(ingest.taken) == len(frames)

    await until(all_taken, within=120, what="every message ingested once the gate opened")
    assert ingest.taken == [f.decode() for f in frames]
    await listener.stop()


async def test_udp_datagrams_past_a_full_queue_are_dropped_and_counted() -> None:
    ingest = GatedIngest()
    listener, pump = _listener(ingest, queue_size=5, batch_messages=1)
    listening = await listener.start()
    dropped_before = _metric("logplane_syslog_dropped_messages_total", transport="udp", reason="queue_full")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i in range(50):
            sock.sendto(f"<14>1 - host app - - - datagram {i}".encode(), ("127.0.0.1", listening.udp[0]))

    async def dropped() -> bool:
        now = _metric("logplane_syslog_dropped_messages_total", transport="udp", reason="queue_full")
        return now - dropped_before >= 50 - 5 - 1

    await until(dropped, within=30, what="datagrams past the full queue counted as dropped")
    ingest.gate.set()

    async def emptied() -> bool:
        return pump.depth == 0 and len(ingest.taken) >= 5

    await until(emptied, within=30, what="the queue emptied")
    assert 5 <= len(ingest.taken) <= 6
    await listener.stop()
