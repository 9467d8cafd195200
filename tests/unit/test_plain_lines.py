"""`plain_lines` (the whole-body split in C) gives exactly the non-blank lines `byte_lines` gives,
or declines (None) and leaves the body to it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from src.usecases.bounded_input import byte_lines, plain_lines

BODIES = st.lists(
    st.binary(max_size=12) | st.sampled_from([b"\n", b"\r\n", b"\r", b" ", b"\t\n", b"\x0b", b"{}", b"\xc3\xa9"]),
    max_size=20,
).map(b"".join)


@settings(max_examples=500, deadline=None)
@given(body=BODIES, limit=st.integers(1, 16))
def test_plain_lines_agree_with_byte_lines(body: bytes, limit: int) -> None:
    plain = plain_lines(body, max_line_bytes=limit)
    if plain is not None:
        assert plain == [line for line in byte_lines([body], max_line_bytes=limit) if line.strip()]


def test_plain_lines_decline_what_byte_lines_treat_specially() -> None:
    assert plain_lines(b'{"a":1}\r\n{"b":2}\n', max_line_bytes=100) is None  # \r: splitlines' rules
    assert plain_lines(b'{"a":1}\n' + b"x" * 101 + b"\n", max_line_bytes=100) is None  # cut line
    assert plain_lines(b'{"a":1}\n  \n\n{"b":2}', max_line_bytes=100) == [b'{"a":1}', b'{"b":2}']
