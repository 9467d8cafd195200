"""The parser port: one text event in, a draft out, or None when the text is not in this format."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from src.domain.logs import LogDraft


class Parser(Protocol):
    """A log format.

    Rules every implementation keeps:
    - `parse` returns None when the text is not in its format (the registry then tries the next
      parser); it never raises for bad input — any string, including U+FFFD, is acceptable input.
    - Fields the format carries that `LogDraft` has no slot for go into `attributes`, and
      `attributes["parser"]` is always set to `name`.
    - Timestamps are timezone-aware (UTC when the format has no offset).
    - The message is never blank: when the format has none, the whole text is the message.
    """

    name: str

    @abstractmethod
    def parse(self, text: str) -> LogDraft | None:
        """The draft for `text`, or None when `text` is not in this format."""
