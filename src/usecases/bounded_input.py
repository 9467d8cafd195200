"""Reading untrusted bytes in bounded memory: gzip inflated piece by piece under a cap, and lines
split as they arrive, each at most `max_line_bytes` long.

Both are fed and drained incrementally, so a request body (sync) and an object read from storage
(async) share them, and a small compressed input can never inflate into memory in one go: a
bomb is refused at the first piece past the cap, having held one piece at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from src.domain.errors import InvalidInput, PayloadTooLarge

PIECE_BYTES = 64 * 1024  # small enough to hold, large enough that zlib's per-call cost is noise


def is_gzip(head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b"


class GzipInflater:
    """Inflate one gzip member; at most `limit` bytes out in total, `PIECE_BYTES` at a time."""

    def __init__(self, *, limit: int, code: str = "decompressed_too_large", what: str = "decompressed body") -> None:
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._limit = limit
        self._code = code
        self._what = what
        self.total = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self._inflater.eof:
            try:
                out = self._inflater.decompress(data, PIECE_BYTES)
            except zlib.error as e:
                raise InvalidInput("the body is not valid gzip", code="invalid_gzip") from e
            self.total += len(out)
            if self.total > self._limit:
                raise PayloadTooLarge(
                    f"{self._what} is larger than {self._limit} bytes",
                    code=self._code,
                    details={"max_bytes": self._limit},
                )
            data = self._inflater.unconsumed_tail
            if not out and not data:
                return  # this input is spent and zlib has nothing pending: wait for more
            if out:
                yield out

    def finish(self) -> None:
        """Refuse a stream that ended inside the gzip member (trailing bytes after it are ignored)."""
        if not self._inflater.eof:
            raise InvalidInput("the gzip body is truncated", code="invalid_gzip")


class CutLine(bytes):
    """The head of a line that was longer than the cap (the rest was never held)."""


class LineSplitter:
    """Lines split at `\\n` (the `\\n` dropped) from pieces fed in order. A line longer than
    `max_line_bytes` is truncated at a UTF-8 character boundary and its rest skipped up to the
    next `\\n`; such a line comes as a `CutLine`, and `truncated` counts them. Without a cap a
    line is held whole."""

    def __init__(self, *, max_line_bytes: int | None = None) -> None:
        self._max = max_line_bytes
        self._partial = bytearray()
        self._skipping = False  # inside the rest of a truncated line
        self.truncated = 0

    def feed(self, piece: bytes) -> Iterator[bytes]:
        start = 0
        while (end := piece.find(b"\n", start)) >= 0:
            if self._skipping:
                self._skipping = False
            elif self._partial:
                self._partial += piece[start:end]
                yield self._take()
            else:
                line = piece[start:end]
                yield self._cut(line) if self._max is not None and len(line) > self._max else line
            start = end + 1
        if start < len(piece) and not self._skipping:
            self._partial += piece[start:]
            if self._max is not None and len(self._partial) > self._max:
                del self._partial[_boundary(self._partial, self._max) :]
                self._skipping = True
                self.truncated += 1
                yield CutLine(self._take())

    def close(self) -> Iterator[bytes]:
        if self._partial:
            yield self._take()

    def _take(self) -> bytes:
        line = bytes(self._partial)
        self._partial.clear()
        return self._cut(line) if self._max is not None and len(line) > self._max else line

    def _cut(self, line: bytes) -> bytes:
        assert self._max is not None
        self.truncated += 1
        return CutLine(line[: _boundary(line, self._max)])


def _boundary(data: bytes | bytearray, limit: int) -> int:
    """The largest cut at or below `limit` that does not split a UTF-8 character."""
    cut = limit
    while cut > 0 and cut > limit - 3 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut


def body_pieces(body: bytes, *, gzip: bool, max_decompressed: int) -> Iterator[bytes]:
    """A request body in pieces of at most `PIECE_BYTES`, inflated under the cap when gzip."""
    if not gzip:
        view = memoryview(body)
        for start in range(0, len(body), PIECE_BYTES):
            yield bytes(view[start : start + PIECE_BYTES])
        return
    inflater = GzipInflater(limit=max_decompressed)
    yield from inflater.feed(body)
    inflater.finish()


def _lines(pieces: Iterable[bytes], max_line_bytes: int | None) -> Iterator[bytes]:
    splitter = LineSplitter(max_line_bytes=max_line_bytes)
    for piece in pieces:
        yield from splitter.feed(piece)
    yield from splitter.close()


def byte_lines(pieces: Iterable[bytes], *, max_line_bytes: int | None = None) -> Iterator[bytes]:
    """Lines of the pieces, lazily, split as `bytes.splitlines` splits (`\\r\\n` and a lone `\\r`
    too); a line past `max_line_bytes` comes cut, as a `CutLine`."""
    for line in _lines(pieces, max_line_bytes):
        if isinstance(line, CutLine):
            yield line
        else:
            yield from line.splitlines() or (b"",)


def plain_lines(body: bytes, *, max_line_bytes: int) -> list[bytes] | None:
    """The non-blank lines of a body held whole, as `byte_lines` would give them, split in C; or
    None where it would not give the same (a `\\r`, or a line it would cut): take `byte_lines` then."""
    if b"\r" in body:
        return None
    lines = body.split(b"\n")
    if max(map(len, lines)) > max_line_bytes:
        return None
    return [line for line in lines if line.strip()]


def text_lines(pieces: Iterable[bytes], *, max_line_bytes: int | None = None) -> Iterator[str]:
    """Decoded lines, lazily, split as `str.splitlines` splits; undecodable bytes become U+FFFD;
    a line past `max_line_bytes` is cut there."""
    for line in _lines(pieces, max_line_bytes):
        yield from line.decode("utf-8", errors="replace").splitlines() or ("",)
