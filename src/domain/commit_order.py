"""Where a stored event sits in its tenant's commit order (what a resuming live stream replays from).

Ids are UUIDv7 drawn before the transaction commits, so id order is not the order in which events
became visible: a transaction holding lower ids may commit after a higher id was already streamed.
Each group commit therefore takes the next number of its tenant's commit sequence as its last
statement, under a per-tenant lock held until it commits, so sequence order is commit order.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.domain.logs import LogEvent


@dataclass(frozen=True, slots=True, order=True)
class CommitPosition:
    """The group commit's sequence number, then the event's place (1-based) in that group."""

    seq: int
    index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommittedPage:
    """Events in commit order, and the position of the last entry read (None when nothing was read).
    An entry whose event was deleted since (retention, cleanup) advances the position but is not in
    `events`."""

    events: list[LogEvent]
    last: CommitPosition | None
