"""A live event's frame text is encoded once per process and shared by the sessions that get it,
without changing what each session gets (its filter, its tenant) or the bytes on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from src.adapters.memory.event_bus import InProcessEventBus
from src.adapters.memory.stream_slots import InProcessStreamSlots
from src.domain.credentials import Principal, Scope
from src.domain.ids import new_id
from src.domain.logs import LogEvent, public_view
from src.domain.severity import Severity
from src.domain.stream_filter import parse_stream_filter
from src.domain.wire import to_json
from src.usecases.live_tail import END, FrameCache, LiveTail, TailSession
from tests.fakes import FakeUnitOfWorkFactory


def _event(tenant_id: UUID, message: str, service: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    event = LogEvent(
        id=new_id(),
        tenant_id=tenant_id,
        timestamp=now,
        received_at=now,
        message=message,
        severity=Severity.INFO,
        service=service,
        host=None,
        user_id=None,
        action=None,
        trace_id=None,
        span_id=None,
        attributes={"k": [1, "ü"]},
    )
    result: dict[str, Any] = orjson.loads(to_json(public_view(event)))
    return result


def _principal(tenant_id: UUID) -> Principal:
    return Principal(tenant_id=tenant_id, subject="k", scopes=frozenset({Scope.READ}), via="api_key")


async def _texts(session: TailSession) -> list[str]:
    texts: list[str] = []
    while (message := await session.next(0.05)) is not None and message is not END:
        texts.append(session.text(message))
    return texts


async def test_sessions_of_a_tenant_share_one_encoding_of_each_event_and_filters_still_apply() -> None:
    bus = InProcessEventBus()
    tail = LiveTail(bus, FakeUnitOfWorkFactory(), InProcessStreamSlots())
    tenant, other_tenant = uuid4(), uuid4()
    everything = await tail.open(principal=_principal(tenant), flt=parse_stream_filter({}), since_id=None)
    also = await tail.open(principal=_principal(tenant), flt=parse_stream_filter({}), since_id=None)
    api_only = await tail.open(
        principal=_principal(tenant), flt=parse_stream_filter({"service": ["api"]}), since_id=None
    )
    stranger = await tail.open(principal=_principal(other_tenant), flt=parse_stream_filter({}), since_id=None)
    events = [_event(tenant, "from the api", "api"), _event(tenant, "from the worker", "worker")]

    await bus.publish(tenant_id=tenant, events=events)

    first, second, filtered = await _texts(everything), await _texts(also), await _texts(api_only)
    # The bytes are what encoding the message for each client gave before.
    assert first == [orjson.dumps({"type": "log", "data": e}).decode() for e in events]
    assert second == first
    assert all(a is b for a, b in zip(first, second, strict=True))  # one encoding, shared
    assert filtered == [first[0]]  # the per-client filter is applied before any sharing
    assert await _texts(stranger) == []  # another tenant sees nothing
    for session in (everything, also, api_only, stranger):
        await session.close()


async def test_messages_other_than_events_are_encoded_as_they_are() -> None:
    session = TailSession(_principal(uuid4()), parse_stream_filter({}), queue_size=1)
    assert session.text({"type": "dropped", "count": 3}) == '{"type":"dropped","count":3}'


def test_the_cache_keeps_at_most_its_size_and_an_evicted_event_is_encoded_again() -> None:
    cache = FrameCache(size=2)
    tenant = uuid4()
    a, b, c = (_event(tenant, m, "api") for m in "abc")
    first_a = cache.log_frame(a)
    assert cache.log_frame(a) is first_a
    cache.log_frame(b)
    cache.log_frame(c)  # evicts a, the oldest
    again = cache.log_frame(a)
    assert again == first_a and again is not first_a


def test_an_equal_but_distinct_event_is_not_taken_for_a_cached_one() -> None:
    """Keyed by identity, checked by identity: a new dict never gets another dict's text."""
    cache = FrameCache()
    tenant = uuid4()
    original = _event(tenant, "one", "api")
    copy = {**original, "message": "two"}
    assert orjson.loads(cache.log_frame(original))["data"]["message"] == "one"
    assert orjson.loads(cache.log_frame(copy))["data"]["message"] == "two"
