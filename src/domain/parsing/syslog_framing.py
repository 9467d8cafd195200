"""Syslog over a stream (TCP, TLS): where one message ends and the next begins.

RFC 6587 names two framings and senders use both: octet counting (`MSG-LEN SP MSG`, the only one
RFC 5425 allows over TLS; rsyslog's and syslog-ng's `syslog()` transport) and a trailing LF ("non-transparent
framing"; `logger --tcp` with `--octet-count` off, rsyslog's plain TCP forwarding). The framing is
detected per frame, as rsyslog does: a frame that starts with a digit and has a space within ten
characters is octet-counted, anything else runs to the next LF. A syslog message itself starts with
`<`, so the two cannot be confused for the formats we parse.

A frame longer than `max_frame_bytes` is cut there and the rest of it skipped: memory per
connection stays bounded whatever a peer sends.
"""

from __future__ import annotations

_DIGITS = frozenset(b"0123456789")
# MSG-LEN is a non-zero number; nine digits (almost a gigabyte) is more than any sender uses.
_MAX_LEN_DIGITS = 9


class FrameDecoder:
    """Feed bytes as they arrive; get back the complete frames (without their framing)."""

    def __init__(self, *, max_frame_bytes: int = 64 * 1024) -> None:
        self._max = max_frame_bytes
        self._buffer = bytearray()
        self._skip = 0  # bytes of an over-long octet-counted frame still to throw away
        self._skip_line = False  # in the tail of an over-long LF-framed line
        self.truncated = 0  # frames cut at max_frame_bytes, for the caller to count

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        frames: list[bytes] = []
        pos = 0
        end = len(buffer)
        while pos < end:
            if self._skip:
                taken = min(self._skip, end - pos)
                self._skip -= taken
                pos += taken
                continue
            if self._skip_line:
                newline = buffer.find(b"\n", pos)
                if newline == -1:
                    pos = end
                    break
                self._skip_line = False
                pos = newline + 1
                continue
            if buffer[pos] in _DIGITS:
                counted = self._octet_counted(buffer, pos, end, frames)
                if counted is None:  # wait for more bytes
                    break
                if counted > pos:
                    pos = counted
                    continue
            newline = buffer.find(b"\n", pos)
            if newline == -1:
                if end - pos > self._max:
                    self._emit(frames, bytes(buffer[pos : pos + self._max]))
                    self.truncated += 1
                    self._skip_line = True
                    pos = end
                break
            self._emit(frames, bytes(buffer[pos:newline]))
            pos = newline + 1
        del buffer[:pos]
        return frames

    def finish(self) -> list[bytes]:
        """At end of stream: a last line without its LF is still a message."""
        frames: list[bytes] = []
        if self._buffer and not self._skip and not self._skip_line:
            self._emit(frames, bytes(self._buffer))
        self._buffer.clear()
        return frames

    def _octet_counted(self, buffer: bytearray, pos: int, end: int, frames: list[bytes]) -> int | None:
        """The position after an octet-counted frame; `pos` when this is not one (an LF-framed line
        that starts with a digit); None when more bytes are needed to tell or to finish it."""
        space = buffer.find(b" ", pos, min(end, pos + _MAX_LEN_DIGITS + 1))
        if space == -1:
            digits = buffer[pos : min(end, pos + _MAX_LEN_DIGITS + 1)]
            if end - pos <= _MAX_LEN_DIGITS and all(b in _DIGITS for b in digits):
                return None
            return pos
        digits = buffer[pos:space]
        if not all(b in _DIGITS for b in digits) or digits[:1] == b"0":
            return pos
        length = int(digits)
        start = space + 1
        if length > self._max:
            if end - start < self._max:
                return None
            self._emit(frames, bytes(buffer[start : start + self._max]))
            self.truncated += 1
            self._skip = length - self._max
            return start + self._max
        if end - start < length:
            return None
        self._emit(frames, bytes(buffer[start : start + length]))
        return start + length

    @staticmethod
    def _emit(frames: list[bytes], frame: bytes) -> None:
        # A CR before the LF (Windows senders) and the NUL some senders end frames with are not content.
        frame = frame.rstrip(b"\r\n\x00")
        if frame.strip():
            frames.append(frame)
