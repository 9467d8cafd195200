"""Counting the records of a protobuf request on the wire, before it is parsed.

A protobuf parser builds every message of a request at once, and an empty record costs two bytes
on the wire: a small compressed push can hold millions of them. Walking the wire format down to
the records (and skipping everything else by its length) finds out, in a bounded number of
steps, whether the request is within the event limit before anything is built.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from src.domain.errors import InvalidInput, PayloadTooLarge
from src.domain.event_limits import too_many_events
from src.usecases.cooperative import cooperative

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class _Enough(Exception):
    pass


@dataclass(slots=True)
class _Budget:
    stop_after: int
    max_fields: int
    invalid: str
    records: int = 0
    fields: int = 0


def walk_records(data: bytes, path: tuple[int, ...], *, stop_after: int, what: str) -> Iterator[int]:
    """The number of `path[-1]` fields seen under `path[:-1]` (nested length-delimited fields by
    number), yielded after each field walked, so a caller may pause the walk; it ends at
    `stop_after` records.

    Every field walked on the way counts against a budget of 8 per record allowed, so a request
    padded with other fields cannot make the walk long; past it, PayloadTooLarge. Raises
    InvalidInput when the wire format is broken (`what` names the message)."""
    budget = _Budget(stop_after=stop_after, max_fields=8 * stop_after + 256, invalid=what)
    with contextlib.suppress(_Enough):
        yield from _walk(data, 0, len(data), path, budget)
    yield budget.records


def count_records(data: bytes, path: tuple[int, ...], *, stop_after: int, what: str) -> int:
    """`walk_records` in one go: the records counted."""
    return deque(walk_records(data, path, stop_after=stop_after, what=what), maxlen=1)[0]


async def refuse_over(data: bytes, path: tuple[int, ...], *, max_records: int, what: str) -> None:
    """Raise `batch_too_large` when more than `max_records` records sit at `path`, having walked
    no further than one past the limit, with turns for other requests on the way."""
    counted = 0
    async for seen in cooperative(walk_records(data, path, stop_after=max_records + 1, what=what)):
        counted = seen
    if counted > max_records:
        raise too_many_events(max_records, counted)


def _invalid(budget: _Budget) -> InvalidInput:
    return InvalidInput(f"the body is not a valid {budget.invalid}", code="invalid_protobuf")


def _varint(data: bytes, pos: int, end: int, budget: _Budget) -> tuple[int, int]:
    result = shift = 0
    while pos < end and shift < 64:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise _invalid(budget)


def _walk(data: bytes, pos: int, end: int, path: tuple[int, ...], budget: _Budget) -> Iterator[int]:
    # Hot loop: one-byte varints (almost every key and short length) are read inline, and the
    # caller is given a chance to pause every 256 fields rather than at each.
    while pos < end:
        key = data[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = _varint(data, pos, end, budget)
        number, wire = key >> 3, key & 7
        budget.fields += 1
        if not budget.fields & 0xFF:
            if budget.fields > budget.max_fields:
                raise PayloadTooLarge(
                    f"the {budget.invalid} holds too many fields for {budget.stop_after - 1} records",
                    code="too_many_fields",
                    details={"max_fields": budget.max_fields},
                )
            yield budget.records
        if wire == _LENGTH:
            if pos < end and data[pos] < 0x80:
                length = data[pos]
                pos += 1
            else:
                length, pos = _varint(data, pos, end, budget)
            stop = pos + length
            if stop > end:
                raise _invalid(budget)
            if number == path[0]:
                if len(path) == 1:
                    budget.records += 1
                    if budget.records >= budget.stop_after:
                        raise _Enough
                else:
                    yield from _walk(data, pos, stop, path[1:], budget)
            pos = stop
        elif wire == _VARINT:
            _, pos = _varint(data, pos, end, budget)
        elif wire == _FIXED64:
            pos += 8
        elif wire == _FIXED32:
            pos += 4
        else:  # groups (deprecated) and reserved wire types: never sent by a log shipper
            raise _invalid(budget)
    if pos > end:
        raise _invalid(budget)
