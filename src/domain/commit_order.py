"""Where a stored event sits in its tenant's commit order (what a resuming live stream replays from).

Ids are UUIDv7 drawn before the transaction commits, so id order is not the order in which events
became visible: a transaction holding lower ids may commit after a higher id was already streamed.
Each group commit therefore takes the next number of its tenant's commit sequence as its last
statement, under a per-tenant lock held until it commits, so sequence order is commit order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from uuid import UUID

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


@dataclass(frozen=True, slots=True)
class CommitSpan:
    """One tenant's share of a group commit, named by its lowest and highest event id. An event is
    committed once, so no two of a tenant's commits share their highest id: the reindex task names
    its events this way (~80 bytes) rather than listing thousands of ids, which cost the API and
    PostgreSQL ~0.55 µs an event to write a second time (docs/benchmarks.md, "Ninth pass")."""

    lowest: UUID
    highest: UUID

    @classmethod
    def of(cls, ids: Sequence[UUID]) -> CommitSpan:
        # Compared by their integers: `UUID.__lt__` is a Python call per comparison.
        by_int = attrgetter("int")
        return cls(min(ids, key=by_int), max(ids, key=by_int))

    def to_payload(self) -> dict[str, str]:
        return {"lowest": str(self.lowest), "highest": str(self.highest)}

    @classmethod
    def from_payload(cls, raw: object) -> CommitSpan:
        """Raises ValueError for anything `to_payload` did not write."""
        if not isinstance(raw, Mapping):
            raise ValueError("the commit is not an object")
        try:
            return cls(UUID(raw["lowest"]), UUID(raw["highest"]))
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise ValueError(f"the commit has no valid lowest and highest id: {e}") from e
