"""Bounded reading of untrusted input: gzip inflated in pieces under a cap, lines split lazily and
cut at a length, records counted on the protobuf wire, work pulled no further than a limit."""

from __future__ import annotations

import gzip
import itertools

import pytest

from src.adapters.protobuf.wire import count_records
from src.domain.errors import InvalidInput, PayloadTooLarge
from src.usecases.bounded_input import PIECE_BYTES, GzipInflater, LineSplitter, body_pieces, byte_lines, text_lines
from src.usecases.cooperative import take_at_most


def _split(pieces: list[bytes], max_line_bytes: int | None = None) -> tuple[list[bytes], int]:
    splitter = LineSplitter(max_line_bytes=max_line_bytes)
    lines = [line for piece in pieces for line in splitter.feed(piece)]
    return [*lines, *splitter.close()], splitter.truncated


def test_lines_split_across_pieces_as_splitlines_splits() -> None:
    text = "a\r\nbé\n\nc\rd\u2028e\n"
    data = text.encode()
    for cut in range(len(data) + 1):
        pieces = [data[:cut], data[cut:]]
        assert list(text_lines(pieces)) == text.splitlines()
        assert list(byte_lines(pieces)) == data.splitlines()


def test_a_long_line_is_cut_at_a_character_boundary_and_counted() -> None:
    long = "é" * 10  # two bytes a character: a cut at 5 bytes must back off to 4
    lines, truncated = _split([b"short\n", long.encode()[:7], long.encode()[7:] + b"\nnext\n"], max_line_bytes=5)
    assert lines == [b"short", "éé".encode(), b"next"]
    assert truncated == 1
    lines, truncated = _split([b"x" * 6 + b"\n" + b"y" * 5], max_line_bytes=5)
    assert (lines, truncated) == ([b"xxxxx", b"yyyyy"], 1)


def test_a_line_without_end_is_never_held_past_the_cap() -> None:
    splitter = LineSplitter(max_line_bytes=100)
    for _ in range(1000):
        list(splitter.feed(b"0" * 1000))
        assert len(splitter._partial) <= 100
    assert splitter.truncated == 1


def test_gzip_is_inflated_in_pieces_and_refused_at_the_first_piece_past_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (20 * PIECE_BYTES))
    inflater = GzipInflater(limit=5 * PIECE_BYTES)
    pieces = inflater.feed(bomb)
    seen = [len(next(pieces)) for _ in range(5)]
    assert seen == [PIECE_BYTES] * 5
    with pytest.raises(PayloadTooLarge) as refused:
        next(pieces)
    assert refused.value.code == "decompressed_too_large"
    assert inflater.total <= 6 * PIECE_BYTES


def test_gzip_bodies_round_trip_and_truncation_is_refused() -> None:
    data = bytes(range(256)) * 1000
    assert b"".join(body_pieces(gzip.compress(data), gzip=True, max_decompressed=len(data))) == data
    with pytest.raises(InvalidInput, match="truncated"):
        list(body_pieces(gzip.compress(data)[:-10], gzip=True, max_decompressed=len(data)))
    with pytest.raises(InvalidInput):
        list(body_pieces(b"not gzip", gzip=True, max_decompressed=100))


async def test_take_at_most_pulls_one_item_past_the_limit_and_no_more() -> None:
    pulled = itertools.count()
    assert await take_at_most(pulled, 10) is None
    assert next(pulled) == 11  # 0..10 were pulled: the limit and one more
    assert await take_at_most(iter(range(3)), 3) == [0, 1, 2]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_records_are_counted_on_the_wire_up_to_one_past_the_limit() -> None:
    stream = _field(1, b'{a="b"}') + _field(2, b"") * 1000 + b"\x18\x07"  # labels, entries, hash
    push = _field(1, stream) * 3
    assert count_records(push, (1, 2), stop_after=10_000, what="push") == 3000
    assert count_records(push, (1, 2), stop_after=101, what="push") == 101
    with pytest.raises(PayloadTooLarge) as padded:
        count_records(b"\x18\x01" * 10_000, (1, 2), stop_after=101, what="push")
    assert padded.value.code == "too_many_fields"
    with pytest.raises(InvalidInput):
        count_records(_field(1, stream)[:-3], (1, 2), stop_after=10_000, what="push")
