"""RFC 6587 framing, detected per frame; over-long frames cut; any split of the byte stream gives the same frames."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from src.domain.parsing.syslog_framing import FrameDecoder

A = b"<14>1 2026-01-01T00:00:00Z h app - - - first"
B = b"<11>Jan  2 03:04:05 h app[1]: second"


def octets(frame: bytes) -> bytes:
    return str(len(frame)).encode() + b" " + frame


def test_lf_framing_with_cr_and_nul_terminators() -> None:
    assert FrameDecoder().feed(A + b"\r\n" + B + b"\x00\n") == [A, B]


def test_octet_counting_allows_newlines_inside_a_message() -> None:
    multi = b"<14>1 - h app - - - line one\nline two"
    assert FrameDecoder().feed(octets(multi) + octets(A)) == [multi, A]


def test_framing_is_detected_per_frame() -> None:
    assert FrameDecoder().feed(octets(A) + B + b"\n" + octets(A)) == [A, B, A]


def test_a_line_starting_with_digits_but_no_length_is_lf_framed() -> None:
    assert FrameDecoder().feed(b"2026-01-01 plain line\n") == [b"2026-01-01 plain line"]


def test_incomplete_frames_wait_for_more_bytes_and_finish_takes_a_last_unterminated_line() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(octets(A)[:3]) == []
    assert decoder.feed(octets(A)[3:-5]) == []
    assert decoder.feed(octets(A)[-5:] + B) == [A]
    assert decoder.finish() == [B]


def test_over_long_frames_are_cut_and_their_rest_skipped() -> None:
    decoder = FrameDecoder(max_frame_bytes=10)
    long = b"<14>" + b"x" * 50
    assert decoder.feed(octets(long) + octets(b"<14>ok")) == [long[:10], b"<14>ok"]
    assert decoder.feed(b"<14>" + b"y" * 30) == [b"<14>" + b"y" * 6]
    assert decoder.feed(b"yyy\n<14>next\n") == [b"<14>next"]
    assert decoder.truncated == 2


@given(st.lists(st.integers(min_value=1, max_value=200), max_size=20))
def test_any_split_of_the_stream_gives_the_same_frames(cuts: list[int]) -> None:
    stream = octets(A) + B + b"\n" + octets(b"<14>1 - h a - - - x\ny") + B + b"\r\n"
    decoder = FrameDecoder()
    frames: list[bytes] = []
    pos = 0
    for cut in cuts:
        frames += decoder.feed(stream[pos : pos + cut])
        pos += cut
    frames += decoder.feed(stream[pos:]) + decoder.finish()
    assert frames == [A, B, b"<14>1 - h a - - - x\ny", B]
