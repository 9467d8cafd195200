"""A record of the archive's statement as an event: attributes arrive as PostgreSQL's jsonb text and
are parsed with orjson, as ingest wrote them; every archive codec can then encode the event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from src.adapters.postgres.log_reader import ARCHIVABLE_SQL, archivable_event
from src.domain.archive import ArchiveFormat, event_line
from src.domain.severity import Severity
from src.entrypoints.bootstrap import make_archive_codecs


class _DriverUUID(UUID):
    """asyncpg hands out its own UUID subclass."""


# PostgreSQL's jsonb text: numeric without exponents (1.5e300 as 301 digits), spaces after separators.
JSONB_TEXT = '{"huge": 15' + "0" * 299 + ', "tiny": 0.0000001, "zero": 0.0, "k é": [1, "two", null, true]}'


def _record(attributes_text: str) -> tuple[object, ...]:
    moment = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    return (
        _DriverUUID(int=uuid4().int),
        uuid4(),  # the stored tenant id: unused, the statement's argument is the tenant
        moment,
        moment,
        int(Severity.WARN),
        "api",
        "message ✓",
        "pod-1",
        None,
        "login",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        None,
        attributes_text,
        "client-7",
    )


def test_the_statement_reads_attributes_as_text() -> None:
    assert "attributes::text" in ARCHIVABLE_SQL


def test_a_record_becomes_the_event_with_its_attributes_parsed() -> None:
    tenant_id = uuid4()
    record = _record(JSONB_TEXT)

    event = archivable_event(record, tenant_id)

    assert type(event.id) is UUID and event.id == record[0]
    assert event.tenant_id == tenant_id
    assert event.severity is Severity.WARN
    assert (event.service, event.message, event.host, event.action) == ("api", "message ✓", "pod-1", "login")
    assert event.attributes == {"huge": 1.5e300, "tiny": 1e-7, "zero": 0.0, "k é": [1, "two", None, True]}
    assert json.dumps(event.attributes["zero"]) == "0.0"


@pytest.mark.parametrize("archive_format", list(ArchiveFormat))
def test_every_codec_archives_and_reads_back_such_an_event(archive_format: ArchiveFormat) -> None:
    # A float beyond 64-bit integers used to arrive as a 301-digit int, which orjson cannot encode.
    tenant_id = uuid4()
    event = archivable_event(_record(JSONB_TEXT), tenant_id)
    codec = make_archive_codecs()[archive_format]
    writer = codec.writer(tenant_id=tenant_id)

    size = writer.add(event)
    data = writer.finish()

    assert size == len(event_line(event))
    assert codec.read(data, tenant_id=tenant_id) == [event]
