"""A deliberately slow WebSocket client: a plain socket with a small receive buffer that reads
nothing until told to, so the server sees a real slow link (client libraries read eagerly)."""

from __future__ import annotations

import base64
import os
import socket
import struct
from typing import Any

import orjson


class SlowClient:
    def __init__(self, url: str, path: str, headers: dict[str, str]) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small buffer also turns off the kernel's autotuning, which would otherwise absorb megabytes.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def messages(self, timeout: float) -> list[dict[str, Any]]:
        """Read text frames until none arrives for `timeout` seconds."""
        self.sock.settimeout(timeout)
        got: list[dict[str, Any]] = []
        try:
            while True:
                first, second = self._read(2)
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", self._read(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", self._read(8))
                payload = self._read(length)
                if first & 0x0F == 0x1:
                    got.append(orjson.loads(payload))
        except (TimeoutError, ConnectionError):
            return got

    def close(self) -> None:
        self.sock.close()
