"""Each archive codec gives back exactly the events it was given, whatever their values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from src.adapters.arrow.archive_parquet import ParquetArchiveCodec
from src.adapters.ndjson.archive_codecs import GzipNdjsonCodec, ZstdNdjsonCodec
from src.domain.archive import ArchiveFormat
from src.domain.ids import new_id
from src.domain.logs import LogEvent
from src.domain.ports.archive_codec import ArchiveCodec
from src.domain.severity import Severity
from src.entrypoints.bootstrap import make_archive_codecs

TENANT = uuid.uuid4()


def _events() -> list[LogEvent]:
    base = datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)
    odd = [
        ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"),  # canonical: stored as bytes
        ("4BF92F3577B34DA6A3CE929D0E0E4736", "00F067AA0BA902B7"),  # upper case: kept as text
        ("4bf92f3577b34da6a3ce929d0e0e47", "00f067aa0ba902"),  # short hex: kept as text
        ("", ""),
        (None, None),
    ]
    events = []
    for i, (trace, span) in enumerate(odd * 3):
        events.append(
            LogEvent(
                id=new_id(),
                tenant_id=TENANT,
                timestamp=base + timedelta(microseconds=i),
                received_at=(base + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=5))),
                message=["plain", "", "ünïcödé\n\ttab ✓ \U0001f600", 'quote " and \\ backslash'][i % 4],
                severity=list(Severity)[i % len(Severity)],
                service=None if i % 3 == 0 else "svc",
                host=None if i % 2 else f"host-{i}",
                user_id=None if i % 4 else "u-1",
                action=None if i % 5 else "login",
                trace_id=trace,
                span_id=span,
                attributes={} if i % 2 else {"n": i, "f": 1.5, "nested": {"l": [1, None, "x"]}, "ключ": True},
                client_id=None if i % 6 else "client-a",
            )
        )
    return events


@pytest.mark.parametrize("codec", [ParquetArchiveCodec(), ZstdNdjsonCodec(), GzipNdjsonCodec()], ids=str)
def test_round_trip_is_exact(codec: ArchiveCodec) -> None:
    events = _events()
    writer = codec.writer(tenant_id=TENANT)
    for e in events:
        writer.add(e)
    data = writer.finish()
    assert codec.count_rows(data) == len(events)
    back = codec.read(data, tenant_id=TENANT)
    assert back == events  # LogEvent equality: every field, datetimes as instants


@pytest.mark.parametrize("codec", [ParquetArchiveCodec(), ZstdNdjsonCodec(), GzipNdjsonCodec()], ids=str)
def test_another_tenants_object_yields_nothing(codec: ArchiveCodec) -> None:
    writer = codec.writer(tenant_id=TENANT)
    for e in _events():
        writer.add(e)
    assert codec.read(writer.finish(), tenant_id=uuid.uuid4()) == []


def test_every_format_has_its_codec() -> None:
    codecs = make_archive_codecs()
    assert set(codecs) == set(ArchiveFormat)
    assert all(codec.archive_format is fmt for fmt, codec in codecs.items())
