"""A cursor over the query text: every read advances, so parsing is one linear pass."""

from __future__ import annotations

import re

from src.domain.querylang.errors import QueryError

DELIMITERS = frozenset(' \t\r\n()|"')
_AFTER_KEYWORD = DELIMITERS | {","}
_SPACE = re.compile(r"\s*")


class Scanner:
    def __init__(self, text: str, *, query_field: str = "q") -> None:
        self.text = text
        self.pos = 0
        self.query_field = query_field

    def error(self, message: str, at: int | None = None) -> QueryError:
        return QueryError(message, column=(self.pos if at is None else at) + 1, query_field=self.query_field)

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def keyword(self, word: str) -> bool:
        """True (and consumed) when the next bare word is exactly `word` (upper-case operators only)."""
        end = self.pos + len(word)
        if self.text.startswith(word, self.pos) and (end == len(self.text) or self.text[end] in _AFTER_KEYWORD):
            self.pos = end
            return True
        return False

    def bare(self, stop: frozenset[str] = DELIMITERS) -> str:
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] not in stop:
            self.pos += 1
        return text[start : self.pos]

    def phrase(self) -> str:
        """A "quoted" string; `\\"` and `\\\\` escape. The cursor is on the opening quote."""
        start = self.pos
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\" and self.pos + 1 < len(text) and text[self.pos + 1] in '"\\':
                out.append(text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error('unterminated phrase: add the closing "', at=start)

    def value(self, stop: frozenset[str] = DELIMITERS) -> tuple[str, bool]:
        """A bare or quoted value; the flag says whether it was quoted."""
        if self.peek() == '"':
            return self.phrase(), True
        return self.bare(stop), False
