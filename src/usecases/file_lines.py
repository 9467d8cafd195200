"""The lines of an uploaded file, read from storage in bounded memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from src.domain.errors import PayloadTooLarge
from src.usecases.bounded_input import GzipInflater, LineSplitter, is_gzip
from src.usecases.cooperative import cooperative


class FileLines:
    """Decoded lines of a plain or gzip file, read in bounded memory: at most `max_bytes` of text
    (else PayloadTooLarge `decompressed_too_large` while reading), each line cut to
    `max_line_bytes` (`truncated` counts them). Undecodable bytes become U+FFFD, never an error."""

    def __init__(self, *, max_bytes: int, max_line_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._splitter = LineSplitter(max_line_bytes=max_line_bytes)
        self._read = 0

    @property
    def truncated(self) -> int:
        return self._splitter.truncated

    async def read(
        self, chunks: AsyncIterator[bytes], *, heartbeat: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[str]:
        """The lines; `heartbeat` is awaited between pieces, so a long stretch without a line (a
        huge line being skipped) still lets the caller show it is alive."""
        inflater: GzipInflater | None = None
        first = True
        async for chunk in chunks:
            if first:
                first = False
                if is_gzip(chunk):
                    inflater = GzipInflater(limit=self._max_bytes, what="the decompressed file")
            # One compressed chunk may inflate a thousandfold: take it piece by piece, with turns
            # for the worker's other duties (visibility extension, stop) between pieces.
            pieces = inflater.feed(chunk) if inflater else self._plain(chunk)
            async for piece in cooperative(pieces):
                if heartbeat is not None:
                    await heartbeat()
                for line in self._splitter.feed(piece):
                    yield _decode(line)
        for line in self._splitter.close():
            yield _decode(line)

    def _plain(self, chunk: bytes) -> Iterator[bytes]:
        self._read += len(chunk)
        if self._read > self._max_bytes:
            raise PayloadTooLarge(
                f"the file is larger than {self._max_bytes} bytes",
                code="decompressed_too_large",
                details={"max_bytes": self._max_bytes},
            )
        yield chunk


def _decode(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", errors="replace")
