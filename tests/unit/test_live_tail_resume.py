"""Resuming a live stream with since_id after an interruption (issue 10, finding 4).

Ids are UUIDv7 drawn before commit, so a transaction holding lower ids can commit after a higher id
was already streamed. These tests play that out deterministically with fakes: no timing involved.
"""

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
from src.usecases.live_tail import END, LiveTail, TailSession
from tests.fakes import FakeUnitOfWorkFactory


def _event(tenant_id: UUID, event_id: UUID, message: str) -> LogEvent:
    now = datetime.now(UTC)
    return LogEvent(
        id=event_id,
        tenant_id=tenant_id,
        timestamp=now,
        received_at=now,
        message=message,
        severity=Severity.INFO,
        service=None,
        host=None,
        user_id=None,
        action=None,
        trace_id=None,
        span_id=None,
        attributes={},
    )


class World:
    def __init__(self, *, replay_limit: int = 10_000) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.bus = InProcessEventBus()
        self.tail = LiveTail(self.bus, self.uow, InProcessStreamSlots(), replay_limit=replay_limit)
        self.tenant = uuid4()
        self.principal = Principal(tenant_id=self.tenant, subject="k", scopes=frozenset({Scope.READ}), via="api_key")

    async def commit_and_publish(self, *events: LogEvent) -> None:
        """What ingest does: store, take the group's place in commit order, commit, then publish."""
        async with self.uow() as uow:
            await uow.logs.add_many(events=events)
            await uow.commit_order.record(tenant_id=self.tenant, log_ids=[e.id for e in events])
            await uow.commit()
        await self.bus.publish(tenant_id=self.tenant, events=[orjson.loads(to_json(public_view(e))) for e in events])

    async def open(self, since_id: UUID | None) -> TailSession:
        return await self.tail.open(principal=self.principal, flt=parse_stream_filter({}), since_id=since_id)


async def _drain(session: TailSession) -> list[str]:
    """Messages of every event the session has for the client now, in order."""
    got: list[str] = []
    while (message := await session.next(0.05)) is not None and message is not END:
        data: dict[str, Any] = message["data"]
        got.append(data["message"])
    return got


async def test_resume_does_not_resend_what_the_client_already_had() -> None:
    world = World()
    first = await world.open(since_id=None)
    earlier, last = _event(world.tenant, new_id(), "earlier"), _event(world.tenant, new_id(), "last")
    await world.commit_and_publish(earlier)
    await world.commit_and_publish(last)
    assert await _drain(first) == ["earlier", "last"]
    await first.close()
    later = _event(world.tenant, new_id(), "later")
    await world.commit_and_publish(later)

    resumed = await world.open(since_id=last.id)
    assert await _drain(resumed) == ["later"]
    await resumed.close()


async def test_resume_replays_a_lower_id_that_committed_after_since_id_was_streamed() -> None:
    """Transaction A draws its id, then B draws a higher one and commits first; B is streamed, the bus
    is lost (the stream ends with stream_interrupted), A commits, the client resumes with B's id.
    The client must get A, once."""
    world = World()
    first = await world.open(since_id=None)
    slow = _event(world.tenant, new_id(), "slow commit, lower id")
    fast = _event(world.tenant, new_id(), "fast commit, higher id")
    assert slow.id < fast.id
    await world.commit_and_publish(fast)
    assert await _drain(first) == ["fast commit, higher id"]
    first._bus_lost()
    assert await first.next(0.05) is END
    await first.close()
    await world.commit_and_publish(slow)  # published while the client is away: nobody hears it

    resumed = await world.open(since_id=fast.id)
    assert await _drain(resumed) == ["slow commit, lower id"]
    await resumed.close()


async def test_resume_from_an_id_without_commit_order_replays_in_id_order() -> None:
    """Stored before commit order was kept (or older than what is kept): id order is the fallback."""
    world = World()
    old, newer = _event(world.tenant, new_id(), "stored earlier"), _event(world.tenant, new_id(), "after it")
    async with world.uow() as uow:
        await uow.logs.add_many(events=[old, newer])
        await uow.commit()
    resumed = await world.open(since_id=old.id)
    assert await _drain(resumed) == ["after it"]
    await resumed.close()


async def test_resume_skips_events_deleted_since_and_goes_on_with_later_commits() -> None:
    world = World()
    seen, gone, later = (_event(world.tenant, new_id(), m) for m in ("seen", "deleted since", "later"))
    await world.commit_and_publish(seen)
    await world.commit_and_publish(gone)
    await world.commit_and_publish(later)
    del world.uow.store.logs[gone.id]  # retention or cleanup removed it; its commit entry remains
    resumed = await world.open(since_id=seen.id)
    assert await _drain(resumed) == ["later"]
    await resumed.close()


async def _messages(session: TailSession) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while (message := await session.next(0.05)) is not None and message is not END:
        got.append(message)
    return got


async def test_a_replay_cut_at_its_limit_says_so_before_going_live() -> None:
    world = World(replay_limit=2)
    since = _event(world.tenant, new_id(), "since")
    missed = [_event(world.tenant, new_id(), f"missed {i}") for i in range(4)]
    await world.commit_and_publish(since)
    for event in missed:
        await world.commit_and_publish(event)
    resumed = await world.open(since_id=since.id)
    await resumed._replay_task  # type: ignore[misc]
    live = _event(world.tenant, new_id(), "live")
    await world.commit_and_publish(live)
    got = await _messages(resumed)
    assert [m["type"] for m in got] == ["log", "log", "replay_truncated", "log"]
    assert [m["data"]["message"] for m in got if m["type"] == "log"] == ["missed 0", "missed 1", "live"]
    assert got[2] == {"type": "replay_truncated", "replayed": 2, "last_id": str(missed[1].id)}
    await resumed.close()


async def test_a_replay_that_reads_everything_within_its_limit_adds_no_notice() -> None:
    world = World(replay_limit=2)
    since, one, two = (_event(world.tenant, new_id(), m) for m in ("since", "one", "two"))
    for event in (since, one, two):
        await world.commit_and_publish(event)
    resumed = await world.open(since_id=since.id)
    assert [m["type"] for m in await _messages(resumed)] == ["log", "log"]
    await resumed.close()


async def test_a_replay_in_id_order_cut_at_its_limit_says_so_too() -> None:
    world = World(replay_limit=1)
    old, newer, newest = (_event(world.tenant, new_id(), m) for m in ("old", "newer", "newest"))
    async with world.uow() as uow:
        await uow.logs.add_many(events=[old, newer, newest])
        await uow.commit()
    resumed = await world.open(since_id=old.id)
    got = await _messages(resumed)
    assert [m["type"] for m in got] == ["log", "replay_truncated"]
    assert got[1]["last_id"] == str(newer.id)
    await resumed.close()


async def test_a_burst_stops_at_the_notice_and_hands_it_out_next() -> None:
    """Batched sending takes what is waiting in one go (`ready`): the notice is not an event."""
    world = World(replay_limit=2)
    since = _event(world.tenant, new_id(), "since")
    await world.commit_and_publish(since)
    for i in range(3):
        await world.commit_and_publish(_event(world.tenant, new_id(), f"missed {i}"))
    resumed = await world.open(since_id=since.id)
    await resumed._replay_task  # type: ignore[misc]
    first = await resumed.next(1)
    assert first is not None and first["type"] == "log"
    assert [e["message"] for e in resumed.ready(10)] == ["missed 1"]
    notice = await resumed.next(1)
    assert notice is not None and notice["type"] == "replay_truncated"
    await resumed.close()


async def test_events_committed_after_the_stream_subscribed_are_not_called_missing() -> None:
    """The replay reads on into what committed after the subscription (it arrives live as well):
    stopping there at the limit skips nothing, so there is no notice."""
    world = World(replay_limit=2)
    since, missed = _event(world.tenant, new_id(), "since"), _event(world.tenant, new_id(), "missed")
    await world.commit_and_publish(since)
    await world.commit_and_publish(missed)
    resumed = await world.open(since_id=since.id)
    for message in ("live 1", "live 2"):
        await world.commit_and_publish(_event(world.tenant, new_id(), message))
    await resumed._replay_task  # type: ignore[misc]
    got = await _messages(resumed)
    assert [m["data"]["message"] for m in got if m["type"] == "log"] == ["missed", "live 1", "live 2"]
    assert "replay_truncated" not in [m["type"] for m in got]
    await resumed.close()
